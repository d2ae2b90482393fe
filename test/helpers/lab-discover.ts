/** One client's lookup against a running lab, as `discover --dns … --ca … --ldap … --site …` runs it there. */
import { discoverFromCli } from '../../src/cli/commands/discover.js';
import type { DiscoveryReport, ProfileName } from '../../src/discover/report.js';
import type { RunningLab } from '../../src/lab/lab.js';

export function discoverInLab(lab: RunningLab, client: ProfileName, timeout = '2000'): Promise<DiscoveryReport> {
  const { scenario } = lab;
  return discoverFromCli(scenario.email, {
    client,
    dns: [lab.dns],
    ca: [lab.caFile],
    timeout,
    ...(lab.ldap ? { ldap: lab.ldap } : {}),
    ...(scenario.directory?.clientSite ? { site: scenario.directory.clientSite } : {}),
  });
}
