/**
 * Independent peers installed on the machine (Debian packages), for interop tests: `.ci/run` installs them, so in CI
 * these tests always run; on a developer machine without them, the tests say what to install instead of passing.
 */
import { spawnSync } from 'node:child_process';

/** Null when `command` runs; otherwise why not, naming the Debian package that provides it. */
export function missingTool(command: string, versionArgs: readonly string[], debianPackage: string): string | null {
  const probe = spawnSync(command, versionArgs, { stdio: 'ignore', timeout: 10_000 });
  if (probe.error === undefined) return null;
  return `${command} is not installed (${(probe.error as NodeJS.ErrnoException).code ?? probe.error.message}): install the Debian package ${debianPackage} (.ci/run does)`;
}
