// The public contract (docs/api-contract.graphql, the project's copy) against the composed supergraph: every
// contract type, field, argument, enum value and input field must be in the supergraph's API schema with
// the same type. Gaps not yet built are listed in contract-allowlist.json, which may only shrink.
//   node scripts/run-ts.mjs services/gateway/src/contract.ts                     print the gaps
//   node scripts/run-ts.mjs services/gateway/src/contract.ts --write-allowlist   allow-list exactly them
import { transformSupergraphToPublicSchema } from '@theguild/federation-composition';
import { readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import {
  buildASTSchema,
  buildSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isNonNullType,
  isObjectType,
  isSpecifiedScalarType,
  isUnionType,
  parse,
  print,
  astFromValue,
  type GraphQLArgument,
  type GraphQLInputField,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import { SUPERGRAPH_PATH } from './compose';

/** The project's copy of the public contract. */
export const CONTRACT_PATH = resolve(__dirname, '../../../docs/api-contract.graphql');
export const ALLOWLIST_PATH = resolve(__dirname, '../contract-allowlist.json');

/** One way the supergraph falls short of the contract, keyed by schema coordinate (`type:X` for a whole type). */
export interface ContractGap {
  key: string;
  problem: string;
}

/** The API schema clients see: the supergraph without federation's join/link machinery. */
export function apiSchemaOfSupergraph(supergraphSdl: string): GraphQLSchema {
  return buildASTSchema(transformSupergraphToPublicSchema(parse(supergraphSdl)));
}

function kindOf(type: GraphQLNamedType): string {
  if (isObjectType(type)) return 'object';
  if (isInterfaceType(type)) return 'interface';
  if (isUnionType(type)) return 'union';
  if (isEnumType(type)) return 'enum';
  if (isInputObjectType(type)) return 'input';
  return 'scalar';
}

function defaultOf(value: GraphQLArgument | GraphQLInputField): string | undefined {
  if (value.defaultValue === undefined) return undefined;
  const ast = astFromValue(value.defaultValue, value.type);
  return ast ? print(ast) : undefined;
}

function describeInput(value: GraphQLArgument | GraphQLInputField): string {
  const fallback = defaultOf(value);
  return fallback === undefined ? String(value.type) : `${String(value.type)} = ${fallback}`;
}

/** An input value (argument or input field) the contract names: same type, same default. */
function compareInputs(
  owner: string,
  format: (name: string) => string,
  wanted: readonly (GraphQLArgument | GraphQLInputField)[],
  actual: readonly (GraphQLArgument | GraphQLInputField)[],
  gaps: ContractGap[],
): void {
  for (const want of wanted) {
    const have = actual.find((a) => a.name === want.name);
    if (!have) gaps.push({ key: format(want.name), problem: `missing (contract: ${describeInput(want)})` });
    else if (describeInput(have) !== describeInput(want)) {
      gaps.push({
        key: format(want.name),
        problem: `is ${describeInput(have)}, contract says ${describeInput(want)}`,
      });
    }
  }
  // Additions are allowed unless a contract client would now have to send them.
  for (const extra of actual) {
    if (wanted.some((w) => w.name === extra.name)) continue;
    if (isNonNullType(extra.type) && extra.defaultValue === undefined) {
      gaps.push({
        key: format(extra.name),
        problem: `is required (${String(extra.type)}) but not in the contract of ${owner}`,
      });
    }
  }
}

/** Every contract element the API schema lacks or types differently. */
export function findContractGaps(contract: GraphQLSchema, api: GraphQLSchema): ContractGap[] {
  const gaps: ContractGap[] = [];
  for (const want of Object.values(contract.getTypeMap())) {
    if (want.name.startsWith('__') || isSpecifiedScalarType(want)) continue;
    const have = api.getType(want.name);
    if (!have) {
      gaps.push({ key: `type:${want.name}`, problem: `missing ${kindOf(want)} type` });
      continue;
    }
    if (kindOf(have) !== kindOf(want)) {
      gaps.push({
        key: `type:${want.name}`,
        problem: `is of kind ${kindOf(have)}, contract says ${kindOf(want)}`,
      });
      continue;
    }
    if ((isObjectType(want) || isInterfaceType(want)) && (isObjectType(have) || isInterfaceType(have))) {
      const fields = have.getFields();
      for (const field of Object.values(want.getFields())) {
        const key = `${want.name}.${field.name}`;
        const actual = fields[field.name];
        if (!actual) {
          gaps.push({ key, problem: `missing field (contract: ${String(field.type)})` });
          continue;
        }
        if (String(actual.type) !== String(field.type)) {
          gaps.push({ key, problem: `is ${String(actual.type)}, contract says ${String(field.type)}` });
        }
        compareInputs(key, (arg) => `${key}(${arg}:)`, field.args, actual.args, gaps);
      }
      const interfaces = new Set(have.getInterfaces().map((i) => i.name));
      for (const iface of want.getInterfaces()) {
        if (!interfaces.has(iface.name))
          gaps.push({ key: `${want.name}&${iface.name}`, problem: `does not implement ${iface.name}` });
      }
    } else if (isUnionType(want) && isUnionType(have)) {
      const members = new Set(have.getTypes().map((t) => t.name));
      for (const member of want.getTypes()) {
        if (!members.has(member.name))
          gaps.push({ key: `${want.name}|${member.name}`, problem: `union lacks member ${member.name}` });
      }
    } else if (isEnumType(want) && isEnumType(have)) {
      const values = new Set(have.getValues().map((v) => v.name));
      for (const value of want.getValues()) {
        if (!values.has(value.name))
          gaps.push({ key: `${want.name}.${value.name}`, problem: 'missing enum value' });
      }
    } else if (isInputObjectType(want) && isInputObjectType(have)) {
      compareInputs(
        want.name,
        (field) => `${want.name}.${field}`,
        Object.values(want.getFields()),
        Object.values(have.getFields()),
        gaps,
      );
    }
  }
  return gaps.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * The error codes the contract's header documents: the lines `#   CODE   what it means` of its
 * "Errors:" paragraph. What the gateway may answer (errors.ts) must be exactly this list.
 */
export function documentedErrorCodes(contractSdl = readFileSync(CONTRACT_PATH, 'utf8')): string[] {
  const header = contractSdl.slice(0, contractSdl.search(/^[^#\s]/m));
  const errors = header.slice(header.indexOf('# Errors:'));
  return [...errors.matchAll(/^# {2,}([A-Z][A-Z_]+) {2,}\S/gm)].map((m) => m[1]);
}

/** The gaps of the committed supergraph against the contract. */
export function currentContractGaps(): ContractGap[] {
  const contract = buildSchema(readFileSync(CONTRACT_PATH, 'utf8'));
  const api = apiSchemaOfSupergraph(readFileSync(SUPERGRAPH_PATH, 'utf8'));
  return findContractGaps(contract, api);
}

export interface Allowlist {
  $comment?: string;
  missing: string[];
}

export function readAllowlist(path = ALLOWLIST_PATH): Allowlist {
  return JSON.parse(readFileSync(path, 'utf8')) as Allowlist;
}

const ALLOWLIST_COMMENT =
  'Contract elements (api-contract.graphql) the supergraph does not have yet, by schema coordinate; ' +
  '`type:X` stands for a whole type. contract.spec.ts fails on any other gap and on any entry that is no ' +
  'longer a gap: delete entries as the subgraphs grow, never add one to hide a regression. ' +
  '`node scripts/run-ts.mjs services/gateway/src/contract.ts` prints the current gaps.';

function main(argv: string[]): number {
  const gaps = currentContractGaps();
  if (argv.includes('--write-allowlist')) {
    const missing = [...new Set(gaps.map((g) => g.key))];
    const allowlist: Allowlist = { $comment: ALLOWLIST_COMMENT, missing };
    writeFileSync(ALLOWLIST_PATH, `${JSON.stringify(allowlist, null, 2)}\n`);
    process.stdout.write(`Wrote ${missing.length} entries to ${relative(process.cwd(), ALLOWLIST_PATH)}\n`);
    return 0;
  }
  for (const gap of gaps) process.stdout.write(`${gap.key}: ${gap.problem}\n`);
  process.stdout.write(`${gaps.length} gap(s)\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
