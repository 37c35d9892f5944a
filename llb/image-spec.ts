// What a build program says about the image it produces, as plain data. The TypeScript
// frontend turns it into an OCI image config; fields left out are inherited from the base
// image or derived from the final state (env, dir, user).

export interface ImageSpec {
  /** Variables as a record or `KEY=value` lines. */
  readonly env?: Readonly<Record<string, string>> | readonly string[];
  readonly cmd?: readonly string[];
  readonly entrypoint?: readonly string[];
  readonly workdir?: string;
  readonly user?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** `"80/tcp"`, `"53/udp"`, or a bare port number (tcp). */
  readonly exposedPorts?: readonly (string | number)[];
  readonly volumes?: readonly string[];
  readonly stopSignal?: string;
}
