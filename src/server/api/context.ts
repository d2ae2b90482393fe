/** What the admin API and the UI pages need, besides the Autodiscover server's own context. */
import type { FleetSource } from '../../audit/fleet-source.js';
import type { AdminStore } from '../../auth/admin-store.js';
import type { Auth } from '../../auth/auth.js';
import type { Config } from '../../settings/schema.js';
import type { SettingsStore } from '../../store/store.js';
import type { Diagnoses } from '../diagnoses/diagnoses.js';

export interface AdminOptions {
  /** Serve the pages under /ui/ (the JSON API under /api/v1/ is served whenever the admin layer is on). */
  ui: boolean;
  /** Anyone may run diagnoses without logging in (still rate-limited per client address). */
  publicDiagnose: boolean;
  /** Diagnoses search a directory for SCPs (serve --diagnose-ldap): the form offers the client's site. */
  directory?: boolean;
}

export interface AdminDeps {
  adminStore: AdminStore;
  auth: Auth;
  diagnoses: Diagnoses;
  options: AdminOptions;
  /** Where the audit results are read (the fleet pages, /api/v1/audits); absent: none are read. */
  fleet?: FleetSource;
  /**
   * Replaces the whole store as `import` does (refusing to empty it unless `allowEmpty`, keeping a snapshot of
   * what it replaces); absent where there is nowhere to keep a snapshot. serve provides it.
   */
  importer?: (
    config: Config,
    allowEmpty: boolean,
  ) => Promise<{ previous: { domains: number; users: number }; snapshot?: string }>;
}

/** `https`: the listener is HTTPS, so cookies are marked Secure (also when a trusted proxy says the client used TLS). */
export type AdminContext = AdminDeps & { store: SettingsStore; now: () => Date; https: boolean };
