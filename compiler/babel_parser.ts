// Babel, the parser of whatever the lean parser gives up on. Importing this module loads it
// (about 9 ms cold): parse.ts does so only when the lean parser gives up, mod.ts up front.
export { parse as babelParse } from "@babel/parser";
