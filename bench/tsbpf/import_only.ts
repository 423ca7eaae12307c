// Launch baseline: the runtime plus loading tsbpf's modules, printing an "event" at once.
import { Tracer } from "tsbpf";

console.log(`E ${typeof Tracer}`);
