import { describe, expect, it } from 'vitest';
import { Demuxer, demultiplex } from '../../../src/adapters/docker/demux.js';

const frame = (kind: number, text: string): Buffer => {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = kind;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
};

describe('Docker stream demultiplexing', () => {
  const stream = Buffer.concat([
    frame(1, 'out one\n'),
    frame(2, 'err\n'),
    frame(1, ''),
    frame(1, 'out two\n'),
  ]);

  it('splits a whole buffer into stdout and stderr', () => {
    expect(demultiplex(stream)).toEqual({ stdout: 'out one\nout two\n', stderr: 'err\n' });
  });

  it('reassembles frames cut at any byte', () => {
    for (let cut = 1; cut < stream.length; cut++) {
      const seen: string[] = [];
      const demuxer = new Demuxer((payload, which) => seen.push(`${which}:${payload}`));
      demuxer.push(stream.subarray(0, cut));
      demuxer.push(stream.subarray(cut));
      expect(seen.join(''), `cut at ${cut}`).toBe('stdout:out one\nstderr:err\nstdout:out two\n');
      expect(demuxer.leftover).toBe(0);
    }
  });

  it('reports a frame cut short at the end', () => {
    const demuxer = new Demuxer(() => {});
    demuxer.push(frame(1, 'hello').subarray(0, 10));
    expect(demuxer.leftover).toBe(10);
  });
});
