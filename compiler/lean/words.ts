// Reserved words, apart from the parser so that the grammar's files can use them without an import cycle.

/** Words that are never an identifier in a module (strict mode, with `await` reserved). */
export const RESERVED = new Set(["break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do",
  "else", "enum", "export", "extends", "false", "finally", "for", "function", "if", "import", "in", "instanceof", "new", "null",
  "return", "super", "switch", "this", "throw", "true", "try", "typeof", "var", "void", "while", "with",
  "implements", "interface", "let", "package", "private", "protected", "public", "static", "yield", "await", "arguments", "eval"]);
