/**
 * The built-in lab scenarios: one YAML file per scenario in ./scenarios/, shipped with the package (the build
 * copies them next to the compiled file: scripts/copy-assets.ts). Each tells one Autodiscover story (the
 * website certificate that blocks Outlook 2013 at the root domain, an SCP with a NetBIOS name, a redirect
 * loop…), with the outcome every client profile should meet in `expect`; the regression tests run `discover`
 * against each of them.
 *
 * `autodisco lab list` shows them; `autodisco lab up <name>` brings one up.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { PROFILE_NAMES } from '../discover/profiles.js';
import { AutodiscoError } from '../errors.js';
import { parseScenario, type Scenario } from './scenario.js';

/** Where the scenario files are: next to this module, in src/ and in dist/ alike. */
const SCENARIO_DIR = new URL('./scenarios/', import.meta.url);
const EXTENSION = '.yaml';
/** A scenario name is also its file name: nothing that could leave the directory. */
const NAME = /^[a-z0-9][a-z0-9-]*$/;

export interface BuiltinScenarioInfo {
  name: string;
  title: string;
}

function scenarioNames(): string[] {
  let files: string[];
  try {
    files = readdirSync(SCENARIO_DIR);
  } catch (cause) {
    throw new AutodiscoError(
      'ADK_ERR_CONFIG_UNREADABLE',
      `the built-in scenarios are missing (${SCENARIO_DIR.pathname}): was the package built with its assets?`,
      { cause },
    );
  }
  return files
    .filter((f) => f.endsWith(EXTENSION))
    .map((f) => f.slice(0, -EXTENSION.length))
    .filter((n) => NAME.test(n))
    .sort();
}

/** Reads and validates one scenario file; its `name` must be its file name. */
function readScenario(name: string): Scenario {
  const source = `built-in scenario ${name} (${name}${EXTENSION})`;
  let text: string;
  try {
    text = readFileSync(new URL(`${name}${EXTENSION}`, SCENARIO_DIR), 'utf8');
  } catch (cause) {
    throw new AutodiscoError('ADK_ERR_CONFIG_UNREADABLE', `${source}: cannot read the file`, { cause });
  }
  const scenario = parseScenario(text, source, { profiles: PROFILE_NAMES });
  if (scenario.name !== name) {
    throw new AutodiscoError('ADK_ERR_CONFIG_INVALID', `${source}: 1 problem(s) in the scenario`, {
      problems: [{ path: 'name', message: `"${scenario.name}" differs from the file name "${name}"` }],
    });
  }
  return scenario;
}

/** Every built-in scenario, by name. */
export function listBuiltinScenarios(): BuiltinScenarioInfo[] {
  return scenarioNames().map((name) => {
    const { title } = readScenario(name);
    return { name, title };
  });
}

/** One built-in scenario, validated (its `expect` keys are known client profiles). */
export function loadBuiltinScenario(name: string): Scenario {
  const known = scenarioNames();
  if (!known.includes(name)) {
    throw new AutodiscoError(
      'ADK_ERR_INVALID_ARGUMENT',
      `no built-in scenario is named "${name}" (built-in: ${known.join(', ')})`,
    );
  }
  return readScenario(name);
}
