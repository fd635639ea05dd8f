import { describe, expect, it } from 'vitest';
import { SAMPLE_TAG, sampleRun } from '../../test/fixtures/ci/sample-run.js';
import { SAMPLE_FINDINGS } from '../../test/fixtures/scan-report/sample-report.js';
import { embeddedResults } from './embedded.js';
import { CI_PACKAGE_TYPES } from './results.js';

describe('embeddedResults', () => {
  const run = sampleRun();
  const { anchore, policy, scan } = embeddedResults(run);
  const digest = run.analysis.metadata.manifestDigest ?? '';

  it('keys every Anchore document by the same image digest', () => {
    expect(anchore.image.map((image) => image.imageDigest)).toEqual([digest]);
    for (const type of CI_PACKAGE_TYPES) expect(anchore.content[type].imageDigest).toBe(digest);
    expect(anchore.vulnerabilities.os.imageDigest).toBe(digest);
    expect(anchore.vulnerabilities.all.imageDigest).toBe(digest);
    expect(Object.keys(anchore.check[0] ?? {})).toEqual([digest]);
  });

  it('records the image as freshly analysed by the default account, at the run’s times', () => {
    expect(anchore.image[0]).toMatchObject({
      userId: 'admin',
      analysis_status: 'analyzed',
      image_status: 'active',
      created_at: '2024-05-02T07:59:00Z',
      analyzed_at: '2024-05-02T07:59:30Z',
      image_detail: [{ fulltag: SAMPLE_TAG, tag_detected_at: '2024-05-02T07:59:00Z' }],
    });
  });

  it('lists each package type as image content does, and OS findings apart from all', () => {
    const names = (type: (typeof CI_PACKAGE_TYPES)[number]) =>
      anchore.content[type].content.map((entry) => ('package' in entry ? entry.package : ''));
    expect(names('os')).toEqual(
      run.input.content.packages
        .filter((p) => ['dpkg', 'apk', 'rpm'].includes(p.type))
        .map((p) => p.name),
    );
    expect(anchore.content.java.content_type).toBe('java');
    const osTypes = new Set(anchore.vulnerabilities.os.vulnerabilities.map((v) => v.package_type));
    expect([...osTypes].every((type) => ['dpkg', 'rpm', 'APKG'].includes(type))).toBe(true);
    expect(anchore.vulnerabilities.all.vulnerabilities.length).toBeGreaterThan(
      anchore.vulnerabilities.os.vulnerabilities.length,
    );
  });

  it('gives the check with its detail, and the native inputs for drydock’s own formats', () => {
    const checks = Object.values(anchore.check[0] ?? {}).flatMap((byTag) => byTag[SAMPLE_TAG]);
    expect(checks).toMatchObject([
      {
        status: 'fail',
        policyId: 'every-vulnerability-stops',
        detail: { result: { tag: SAMPLE_TAG } },
      },
    ]);
    expect(scan?.findings).toEqual(SAMPLE_FINDINGS);
    expect(policy).toEqual({
      evaluation: run.evaluation,
      bundle: run.bundle,
      detail: true,
    });
  });
});
