// The compiler with Babel loaded up front, for callers that compile without awaiting first
// (tools, tests, the build). A start that compiles a script uses compile.ts with prepareParse(),
// which loads Babel only when the lean parser gives up on the source.
import { babelParse } from "./babel_parser.ts";
import { useFallbackParser } from "./parse.ts";

useFallbackParser(babelParse);

export * from "./compile.ts";
