// The `typescript` frontend: a build.ts program whose exports are States (see load-program.ts).
import { marshal } from '../../llb/index.ts';
import type { Frontend, FrontendContext, FrontendInput, FrontendResult } from '../types.ts';
import { imageConfigFor } from './image-config.ts';
import { loadBuildProgram } from './load-program.ts';

export const typescriptFrontend: Frontend = {
  name: 'typescript',

  detect(input) {
    return /\.(ts|mts)$/.test(input.filename);
  },

  async build(_ctx: FrontendContext, input: FrontendInput): Promise<FrontendResult> {
    const program = await loadBuildProgram(input.filename, {
      target: input.target,
      buildArgs: input.buildArgs,
      platform: input.platform,
      ...(input.buildPlatform ? { buildPlatform: input.buildPlatform } : {}),
    });
    return {
      state: program.state,
      definition: marshal(program.state, { platform: input.platform }),
      image: imageConfigFor(program.state, program.image, program.state.getPlatform() ?? input.platform),
      dependencies: program.dependencies,
    };
  },
};
