// Malformed Dockerfiles: each fails with one DockerfileError naming the file and the line,
// with a one-line message (no stack trace in it).
import { describe, expect, it } from 'vitest';
import { DockerfileError } from '../../../frontends/dockerfile/index.ts';
import { compile } from './support.ts';

interface Case {
  readonly name: string;
  readonly text: string;
  readonly line: number;
  readonly message: RegExp;
  readonly target?: string;
}

const cases: Case[] = [
  { name: 'empty file', text: '', line: 1, message: /file with no instructions/ },
  { name: 'only comments', text: '# a\n# b\n', line: 2, message: /file with no instructions/ },
  { name: 'unknown instruction', text: 'FROM a\n\nCOPPY x y\n', line: 3, message: /^unknown instruction: COPPY \(did you mean COPY\?\)$/ },
  { name: 'unknown lower-case instruction', text: 'FROM a\nexpsoe 80\n', line: 2, message: /unknown instruction: expsoe \(did you mean expose\?\)/ },
  { name: 'instruction before FROM', text: 'RUN echo\nFROM a\n', line: 1, message: /RUN must come after a FROM/ },
  { name: 'no FROM at all', text: 'ARG A=1\n', line: 1, message: /no FROM instruction/ },
  { name: 'unknown flag', text: 'FROM a\nCOPY --form=b x y\n', line: 2, message: /^unknown flag: --form \(did you mean from\?\)$/ },
  { name: 'flag without value', text: 'FROM a\nCOPY --from x y\n', line: 2, message: /missing a value on flag: --from/ },
  { name: 'bad boolean flag', text: 'FROM a\nCOPY --link=maybe x y\n', line: 2, message: /expecting boolean value for flag --link, not: maybe/ },
  { name: 'duplicate flag', text: 'FROM a\nCOPY --chown=1 --chown=2 x y\n', line: 2, message: /duplicate flag specified: --chown/ },
  { name: 'unterminated heredoc', text: 'FROM a\nRUN <<EOF\necho hi\n', line: 2, message: /unterminated heredoc/ },
  { name: 'nested JSON', text: 'FROM a\nCMD ["a", ["b"]]\n', line: 2, message: /arrays must be comprised of strings only/ },
  { name: 'SHELL not JSON', text: 'FROM a\nSHELL /bin/bash -c\n', line: 2, message: /SHELL requires the arguments to be in JSON form/ },
  { name: 'ENV without value', text: 'FROM a\nENV PATH\n', line: 2, message: /ENV must have two arguments/ },
  { name: 'ENV word without =', text: 'FROM a\nENV a=1 b\n', line: 2, message: /can't find = in "b"/ },
  { name: 'COPY one argument', text: 'FROM a\nCOPY x\n', line: 2, message: /COPY requires at least two arguments, but only one was provided/ },
  { name: 'ADD no arguments', text: 'FROM a\nADD\n', line: 2, message: /ADD requires at least two arguments/ },
  { name: 'WORKDIR without argument', text: 'FROM a\nWORKDIR\n', line: 2, message: /^WORKDIR requires exactly one argument$/ },
  { name: 'USER missing', text: 'FROM a\nUSER\n', line: 2, message: /USER requires exactly one argument/ },
  { name: 'EXPOSE missing', text: 'FROM a\nEXPOSE\n', line: 2, message: /EXPOSE requires at least one argument/ },
  { name: 'FROM two arguments', text: 'FROM a b\n', line: 1, message: /FROM requires either one or three arguments/ },
  { name: 'bad stage name', text: 'FROM a AS 1st\n', line: 1, message: /invalid name for build stage: "1st"/ },
  { name: 'ONBUILD ONBUILD', text: 'FROM a\nONBUILD ONBUILD RUN x\n', line: 2, message: /Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed/ },
  { name: 'ONBUILD FROM', text: 'FROM a\nONBUILD FROM b\n', line: 2, message: /FROM isn't allowed as an ONBUILD trigger/ },
  {
    name: 'bad mount type',
    text: 'FROM a\nRUN --mount=type=cahce,target=/x true\n',
    line: 2,
    message: /unsupported mount type "cahce" \(did you mean cache\?\)/,
  },
  {
    name: 'bad mount key',
    text: 'FROM a\nRUN --mount=type=cache,targte=/x true\n',
    line: 2,
    message: /unexpected key 'targte' in 'targte=\/x' \(did you mean target\?\)/,
  },
  {
    name: 'mount option without value',
    text: 'FROM a\nRUN --mount=type=cache,target=/x,foo true\n',
    line: 2,
    message: /invalid field 'foo' must be a key=value pair/,
  },
  { name: 'secret with from', text: 'FROM a\nRUN --mount=type=secret,id=x,from=b true\n', line: 2, message: /secret mount should not have a from/ },
  { name: 'uid on bind mount', text: 'FROM a\nRUN --mount=type=bind,target=/x,uid=1 true\n', line: 2, message: /uid not allowed for "bind" type mounts/ },
  { name: 'bad cache mode', text: 'FROM a\nRUN --mount=type=cache,target=/x,mode=999 true\n', line: 2, message: /invalid value 999 for mode/ },
  { name: 'mount at /', text: 'FROM a\nRUN --mount=type=tmpfs,target=/ true\n', line: 2, message: /invalid mount target "\/"/ },
  { name: 'bad network', text: 'FROM a\nRUN --network=bridge true\n', line: 2, message: /network mode "bridge" not supported/ },
  { name: 'bad security', text: 'FROM a\nRUN --security=root true\n', line: 2, message: /security mode "root" not supported/ },
  { name: 'bad healthcheck duration', text: 'FROM a\nHEALTHCHECK --interval=5 CMD true\n', line: 2, message: /missing unit in duration "5"/ },
  { name: 'healthcheck too short', text: 'FROM a\nHEALTHCHECK --timeout=10us CMD true\n', line: 2, message: /cannot be less than 1ms/ },
  { name: 'healthcheck negative retries', text: 'FROM a\nHEALTHCHECK --retries=-1 CMD true\n', line: 2, message: /--retries cannot be negative/ },
  { name: 'healthcheck bad type', text: 'FROM a\nHEALTHCHECK RUN true\n', line: 2, message: /Unknown type "RUN" in HEALTHCHECK \(try CMD\)/ },
  { name: 'bad port', text: 'FROM a\nEXPOSE 80/tcp 99999\n', line: 2, message: /invalid port: 99999/ },
  { name: 'bad port protocol', text: 'FROM a\nEXPOSE 80/icmp\n', line: 2, message: /invalid proto: icmp/ },
  { name: 'bad chmod', text: 'FROM a\nCOPY --chmod=888 x /y\n', line: 2, message: /invalid chmod parameter: 888/ },
  { name: 'bad chmod symbolic', text: 'FROM a\nCOPY --chmod=u+q x /y\n', line: 2, message: /invalid chmod parameter: u\+q/ },
  { name: 'bad signal', text: 'FROM a\nSTOPSIGNAL SIGFOO\n', line: 2, message: /Invalid signal: SIGFOO/ },
  { name: 'duplicate directive', text: '# escape=`\n# escape=\\\nFROM a\n', line: 2, message: /only one escape parser directive can be used/ },
  {
    name: 'target naming no stage',
    text: 'FROM a AS one\nFROM b AS two\n',
    line: 2,
    message: /target stage "three" could not be found \(stages: one, two\)/,
    target: 'three',
  },
  { name: 'blank base name', text: 'ARG BASE\nFROM $BASE\n', line: 2, message: /base name \(\$BASE\) should not be blank: BASE has no value/ },
  { name: 'bad variable syntax', text: 'FROM a\nENV X=${\n', line: 2, message: /missing '}'/ },
  { name: 'COPY several sources to a file', text: 'FROM a\nCOPY a b /dest\n', line: 2, message: /destination must be a directory and end with a \// },
  { name: 'COPY of a URL', text: 'FROM a\nCOPY https://example.com/x /x\n', line: 2, message: /source can't be a URL for COPY/ },
  {
    name: 'checksum on a local file',
    text: 'FROM a\nADD --checksum=sha256:00 x /x\n',
    line: 2,
    message: /checksum can't be specified for non-HTTP\(S\) or Git sources/,
  },
  { name: 'bad image reference', text: 'FROM UPPER/Case\n', line: 1, message: /invalid image reference "UPPER\/Case"/ },
  { name: 'bad platform', text: 'FROM --platform=linux//x a\n', line: 1, message: /failed to parse platform linux\/\/x/ },
  {
    name: 'continuation keeps first line',
    text: 'FROM a\nRUN --mount=type=secret \\\n  true\n',
    line: 2,
    message: /invalid secret mount. one of source, target required/,
  },
];

describe('bad input', () => {
  it('covers at least 30 cases', () => expect(cases.length).toBeGreaterThanOrEqual(30));
  for (const c of cases) {
    it(c.name, async () => {
      const err = await compile('app/Dockerfile', c.text, c.target ? { target: c.target } : {}).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, 'expected a DockerfileError').toBeInstanceOf(DockerfileError);
      const e = err as DockerfileError;
      expect(e.file).toBe('app/Dockerfile');
      expect(e.line).toBe(c.line);
      expect(e.detail).toMatch(c.message);
      expect(e.message).toBe(`app/Dockerfile:${c.line}: ${e.detail}`);
      expect(e.message).not.toMatch(/\n\s+at /);
    });
  }
});

describe('not errors', () => {
  it('treats a name that is not an earlier stage as an image', async () => {
    const r = await compile('Dockerfile', 'FROM a\nCOPY --from=later /x /x\nFROM b AS later\n', { target: '' });
    expect(r.targetStage).toBe('later');
    const r2 = await compile('Dockerfile', 'FROM alpine\nCOPY --from=tools /x /x\n');
    const ids = r2.definition.def.length;
    expect(ids).toBeGreaterThan(2);
  });
});
