/** What the admin API and the UI pages need, besides the Autodiscover server's own context. */
import type { AdminStore } from '../../auth/admin-store.js';
import type { Auth } from '../../auth/auth.js';
import type { SettingsStore } from '../../store/store.js';
import type { Diagnoses } from '../diagnoses/diagnoses.js';

export interface AdminOptions {
  /** Serve the pages under /ui/ (the JSON API under /api/v1/ is served whenever the admin layer is on). */
  ui: boolean;
  /** Anyone may run diagnoses without logging in (still rate-limited per client address). */
  publicDiagnose: boolean;
}

export interface AdminDeps {
  adminStore: AdminStore;
  auth: Auth;
  diagnoses: Diagnoses;
  options: AdminOptions;
}

/** `https`: the listener is HTTPS, so cookies are marked Secure (also when a trusted proxy says the client used TLS). */
export type AdminContext = AdminDeps & { store: SettingsStore; now: () => Date; https: boolean };
