import { describe, expect, it } from 'vitest';
import { SAMPLE_ANALYSIS } from '../../test/fixtures/sbom/sample-analysis.js';
import { anchoreImageRecord, anchoreTimestamp, type AnchoreImageState } from './anchore-image.js';

const STATE: AnchoreImageState = {
  userId: 'admin',
  analysisStatus: 'analyzed',
  imageStatus: 'active',
  createdAt: new Date('2024-05-01T12:00:00.900Z'),
  lastUpdated: new Date('2024-05-01T12:01:00Z'),
  analyzedAt: new Date('2024-05-01T12:00:59Z'),
  tagDetectedAt: new Date('2024-05-01T11:59:00Z'),
};
const DIGEST = SAMPLE_ANALYSIS.metadata.manifestDigest ?? '';

describe('anchoreImageRecord', () => {
  it('is the record the engine answers for image get: summary under image_content, one detail per tag', () => {
    expect(
      anchoreImageRecord(SAMPLE_ANALYSIS, { ...STATE, annotations: { team: 'payments' } }),
    ).toEqual({
      analysis_status: 'analyzed',
      analyzed_at: '2024-05-01T12:00:59Z',
      annotations: { team: 'payments' },
      created_at: '2024-05-01T12:00:00Z',
      imageDigest: DIGEST,
      image_content: {
        metadata: {
          arch: 'amd64',
          distro: 'debian',
          distro_version: '12',
          dockerfile_mode: 'Guessed',
          image_size: 1000,
          layer_count: 2,
        },
      },
      image_detail: [
        {
          created_at: '2024-05-01T12:00:00Z',
          digest: DIGEST,
          dockerfile: null,
          fulldigest: `registry.example:5000/team/app@${DIGEST}`,
          fulltag: 'registry.example:5000/team/app:1.0',
          imageDigest: DIGEST,
          imageId: '4'.repeat(64),
          last_updated: '2024-05-01T12:01:00Z',
          registry: 'registry.example:5000',
          repo: 'team/app',
          tag: '1.0',
          tag_detected_at: '2024-05-01T11:59:00Z',
          userId: 'admin',
        },
      ],
      image_status: 'active',
      image_type: 'docker',
      last_updated: '2024-05-01T12:01:00Z',
      parentDigest: DIGEST,
      userId: 'admin',
    });
  });

  it('carries a supplied Dockerfile as Actual, base64; the index digest as the parent', () => {
    const text = 'FROM debian:12\nEXPOSE 8080\n# é\n';
    const record = anchoreImageRecord(
      {
        ...SAMPLE_ANALYSIS,
        metadata: {
          ...SAMPLE_ANALYSIS.metadata,
          indexDigest: `sha256:${'5'.repeat(64)}`,
          dockerfile: { text, origin: 'supplied' },
        },
      },
      STATE,
    );
    expect(record.image_content.metadata?.dockerfile_mode).toBe('Actual');
    expect(Buffer.from(record.image_detail[0]?.dockerfile ?? '', 'base64').toString()).toBe(text);
    expect(record.parentDigest).toBe(`sha256:${'5'.repeat(64)}`);
    expect(record.imageDigest).toBe(DIGEST);
  });

  it('says N/A for an unknown distribution, null for what is not known yet or cannot be named', () => {
    // A plain directory: no registry or repository names it.
    const unnamed = { ...SAMPLE_ANALYSIS.metadata, registry: undefined, repository: undefined };
    const record = anchoreImageRecord(
      { metadata: unnamed, content: { packages: [], secrets: [], retainedFiles: [] } },
      { ...STATE, analysisStatus: 'analyzing', analyzedAt: undefined },
    );
    expect(record.analysis_status).toBe('analyzing');
    expect(record.analyzed_at).toBeNull();
    expect(record.annotations).toEqual({});
    expect(record.image_content.metadata).toMatchObject({ distro: 'N/A', distro_version: 'N/A' });
    expect(record.image_detail[0]).toMatchObject({ fulltag: null, fulldigest: null, registry: '' });
  });
});

describe('anchoreTimestamp', () => {
  it('is whole seconds in UTC with a Z, as the engine prints its integer times', () => {
    expect(anchoreTimestamp(new Date('2024-05-01T12:00:00.999+02:00'))).toBe(
      '2024-05-01T10:00:00Z',
    );
  });
});
