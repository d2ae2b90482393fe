/**
 * The client's directory site (`discover --site`, the diagnose form's and API's `site`): matched against the
 * `Site=` keywords of the SCPs (scp-order.ts). Active Directory site names are meant to be DNS labels (the DC
 * locator registers `_ldap._tcp.<site>._sites…` records under them): at most 63 characters, letters, digits and
 * hyphens; the underscore is taken too, since AD accepts it with a warning and such sites exist. Anything else
 * (a space, a comma, an equals sign, a DN pasted in) is a mistake that would silently match no SCP.
 */
export const SITE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

export const SITE_EXPECTED =
  'expected a directory site name: 1-63 letters, digits, "-" or "_", starting with a letter or digit (e.g. Default-First-Site-Name)';

/** What is wrong with a site name, or undefined. */
export function siteProblem(site: string): string | undefined {
  return SITE_NAME.test(site) ? undefined : SITE_EXPECTED;
}
