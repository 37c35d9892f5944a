// The TTY renderer: mounts the Ink view on a terminal stream and feeds it through the throttled
// store. Loaded only for `--progress=tty` (and `auto` on a terminal), so other modes never pay
// for React and Ink.
import { createElement } from 'react';
import { render } from 'ink';
import type { ProgressRenderer } from '../renderer.ts';
import { errorMessage } from '../renderer.ts';
import type { ProgressStoreOptions } from '../store.ts';
import { ProgressStore } from '../store.ts';
import { ProgressApp } from './progress-view.ts';

export function createTtyRenderer(stream: NodeJS.WriteStream, options: ProgressStoreOptions = {}): ProgressRenderer {
  const store = new ProgressStore(options);
  const instance = render(createElement(ProgressApp, { store }), {
    stdout: stream,
    stderr: stream,
    patchConsole: false,
    // Ctrl+C must reach the build (which cancels its steps), not just unmount the view.
    exitOnCtrlC: false,
    interactive: true,
  });
  return {
    onEvent(event) {
      store.dispatch(event);
    },
    async done(error?: unknown) {
      store.dispatch({ type: 'done', error: errorMessage(error) });
      store.close();
      await instance.waitUntilRenderFlush();
      instance.unmount();
      await instance.waitUntilExit();
    },
  };
}
