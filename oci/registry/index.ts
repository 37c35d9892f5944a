// The registry client: token auth, pull and push over the distribution API.
export { RegistryClient, isLoopbackHost, registryHost, type RegistryClientOptions } from './client.ts';
export { credentialsFromDockerConfig, dockerConfigPath, type Credentials } from './docker-config.ts';
export { parseChallenge, type Challenge } from './challenge.ts';
export { resolveRemoteImage, pullImage, fetchBlob, recordBlobSource, type PullProgress, type PullOptions, type ResolveOptions } from './pull.ts';
export { pushImage, pushBlob, putManifest, type PushOptions, type PushProgress, type PushResult, type BlobPushResult, type ManifestToPush } from './push.ts';
