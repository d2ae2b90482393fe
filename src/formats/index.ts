export { parseAutoconfig, renderAutoconfig } from './autoconfig.js';
export { parseV2Protocol, renderV2 } from './json-v2.js';
export { renderMobileconfig } from './mobileconfig.js';
export { renderPoxError } from './pox/error-response.js';
export { renderMobilesyncRedirect, renderMobilesyncSettings } from './pox/mobilesync-response.js';
export { NS } from './pox/namespaces.js';
export { renderOutlookRedirect, renderOutlookSettings } from './pox/outlook-response.js';
export { parsePoxRequest } from './pox/request.js';
export { loadSigner, signProfile } from './sign-profile.js';
