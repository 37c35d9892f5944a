/** Whether a build server may run this command line. */
export function servable(argv: string[], env: NodeJS.ProcessEnv): boolean;
/** The command's exit code from this root's build server, or undefined when no server took it. */
export function runOnServer(argv: string[], entry: string): Promise<number | undefined>;
