/**
 * Warnings and problems from untrusted input: a hostile layer or database can cause millions, so
 * past a limit they are counted, not kept.
 */
/** Messages kept up to a limit; past it they are only counted, and `list` says how many more. */
export class BoundedMessages {
  private readonly kept: string[] = [];
  private count = 0;

  constructor(private readonly max: number) {}

  add(message: string): void {
    this.count += 1;
    if (this.count <= this.max) this.kept.push(message);
  }

  /** The kept messages, then `… and <n> more <what>` when some were only counted. */
  list(what = 'problems'): string[] {
    const more = this.count - this.max;
    return more > 0 ? [...this.kept, `… and ${more} more ${what}`] : [...this.kept];
  }
}
