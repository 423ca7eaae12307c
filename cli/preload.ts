// Loaded before the script by `tsbpf run` (bun --preload / deno run --preload): the script runs
// as the main module (its `import.meta.main` is true), with the session started first.
import { preloadSession } from "./preload_session.ts";

await preloadSession();
