/**
 * Readings: what a person concluded about each finding of a server, kept apart from the generated
 * document so regenerating keeps them (docs/certify.md, "Filing readings"). A YAML map of server
 * (the certification's slug, e.g. `mosquitto-2.0`) → case id → Markdown; `_summary` reads the
 * whole run.
 */

import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { ConfigError } from '../errors.js';

/** Case id → Markdown, for one server. */
export type ServerReadings = Readonly<Record<string, string>>;

/** The key of the reading that opens the document. */
export const SUMMARY_KEY = '_summary';

/** Pure: the readings of `server` from the file's text; a malformed file is a ConfigError. */
export function parseReadings(text: string, file: string, server: string): ServerReadings {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(`${file}: expected a map of server → case id → reading`);
  }
  const mine = (doc as Record<string, unknown>)[server];
  if (mine === undefined || mine === null) return {};
  if (typeof mine !== 'object' || Array.isArray(mine)) {
    throw new ConfigError(`${file}: "${server}" must map case ids to readings`);
  }
  const out: Record<string, string> = {};
  for (const [id, reading] of Object.entries(mine as Record<string, unknown>)) {
    if (typeof reading !== 'string') {
      throw new ConfigError(`${file}: ${server}.${id} must be text (Markdown), not ${typeof reading}`);
    }
    out[id] = reading;
  }
  return Object.freeze(out);
}

export async function loadReadings(file: string, server: string): Promise<ServerReadings> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read readings file ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseReadings(text, file, server);
}
