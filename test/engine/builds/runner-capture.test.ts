import { describe, expect, it } from 'vitest';
import { BuildLogCapture, StreamMasker } from '../../../src/engine/builds/log.js';
import { stageKeys } from '../../../src/engine/builds/records.js';

const chunks = (text: string, at: readonly number[]): Buffer[] => {
  const bytes = Buffer.from(text);
  const cuts = [0, ...at, bytes.length];
  return cuts.slice(1).map((end, i) => bytes.subarray(cuts[i], end));
};

describe('StreamMasker', () => {
  const text = 'a s3cr3t-value b s3cr3t-value-long c\n';

  it('masks a secret wherever the stream is cut', () => {
    for (let cut = 1; cut < text.length; cut++) {
      const masker = new StreamMasker(['s3cr3t-value', 's3cr3t-value-long']);
      const out =
        chunks(text, [cut])
          .map((chunk) => masker.push(chunk))
          .join('') + masker.end();
      expect(out, `cut at ${cut}`).toBe('a [masked] b [masked] c\n');
    }
  });

  it('passes text through at once when there are no secrets, and keeps split UTF-8 whole', () => {
    const masker = new StreamMasker([]);
    const [first, second] = chunks('grüße\n', [3]);
    expect(masker.push(first ?? Buffer.alloc(0))).toBe('gr');
    expect(masker.push(second ?? Buffer.alloc(0))).toBe('üße\n');
  });

  it('ignores secrets too short to mask safely', () => {
    const masker = new StreamMasker(['abc']);
    expect(masker.push(Buffer.from('abcdef\n')) + masker.end()).toBe('abcdef\n');
  });
});

describe('BuildLogCapture', () => {
  it('shares one byte budget over the stages of a build', () => {
    const capture = new BuildLogCapture({ maxBytes: 10, tailBytes: 0 }, []);
    const first = capture.stage();
    first.write(Buffer.from('123456\n'), 'stdout');
    expect(first.finish()).toBe('123456\n');
    const second = capture.stage();
    second.write(Buffer.from('abcdefgh\n'), 'stderr');
    expect(second.finish()).toBe('abc\n[log truncated: 6 bytes dropped]\n');
  });
});

describe('stageKeys', () => {
  it('numbers repeated stage names from the second on', () => {
    expect(stageKeys(['build', 'echo', 'build', 'build'])).toEqual(['build', 'echo', 'build#2', 'build#3']);
  });
});
