import assert from 'node:assert/strict';
import { test } from 'node:test';
import { authSchemes } from '../../src/discover/http.js';

test('authSchemes lists every challenge scheme once, ignoring parameters', () => {
  assert.deepEqual(authSchemes({ 'www-authenticate': 'Negotiate, NTLM' }), ['Negotiate', 'NTLM']);
  assert.deepEqual(authSchemes({ 'www-authenticate': ['Negotiate', 'NTLM', 'Basic realm="mail, eu"'] }), [
    'Negotiate',
    'NTLM',
    'Basic',
  ]);
  assert.deepEqual(
    authSchemes({ 'www-authenticate': 'Bearer authorization_uri="https://login.test/x", Basic realm="a"' }),
    ['Bearer', 'Basic'],
  );
  assert.deepEqual(authSchemes({}), []);
});
