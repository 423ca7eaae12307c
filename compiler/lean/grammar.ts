// The productions that call each other across the lean parser's files. They reach one another
// through the parser (`p.g.parseExpression(p)`), not through imports, so that the files, which
// recurse into each other as the grammar does, form no import cycle; mod.ts assembles them.
import type * as atoms from "./expression_atoms.ts";
import type * as classes from "./classes.ts";
import type * as expressions from "./expressions.ts";
import type * as functions from "./functions.ts";
import type * as modules from "./modules.ts";
import type * as parentheses from "./parentheses.ts";
import type * as patterns from "./patterns.ts";
import type * as statements from "./statements.ts";
import type * as types from "./types.ts";

export interface Grammar {
  arrowFunction: typeof functions.arrowFunction;
  callArguments: typeof expressions.callArguments;
  checkTarget: typeof expressions.checkTarget;
  cloneIdentifier: typeof atoms.cloneIdentifier;
  functionRest: typeof functions.functionRest;
  parseAtom: typeof atoms.parseAtom;
  parseBindingAtom: typeof patterns.parseBindingAtom;
  parseClass: typeof classes.parseClass;
  parseExport: typeof modules.parseExport;
  parseExpression: typeof expressions.parseExpression;
  parseFunction: typeof functions.parseFunction;
  parseImport: typeof modules.parseImport;
  parseInterface: typeof types.parseInterface;
  parseLiteral: typeof atoms.parseLiteral;
  parseMaybeAssign: typeof expressions.parseMaybeAssign;
  parseMaybeUnary: typeof expressions.parseMaybeUnary;
  parseNew: typeof expressions.parseNew;
  parseParams: typeof functions.parseParams;
  parseStatement: typeof statements.parseStatement;
  parseStatementList: typeof statements.parseStatementList;
  parseSubscripts: typeof expressions.parseSubscripts;
  parenOrArrow: typeof parentheses.parenOrArrow;
  parseType: typeof types.parseType;
  parseTypeAlias: typeof types.parseTypeAlias;
  parseTypeAnnotation: typeof types.parseTypeAnnotation;
  parseTypeArguments: typeof types.parseTypeArguments;
  propertyName: typeof atoms.propertyName;
}
