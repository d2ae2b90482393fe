/**
 * The readable findings: a consequence shows the certificate facts it names in `because` as one line under it (the
 * fact is not told again on its own), and `--client all` merges a finding across clients only where it means the
 * same, saying per client what happens where it does not.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DiscoveryReport, Finding, ProfileName } from '../../src/discover/report.js';
import { renderComparison, renderText } from '../../src/discover/text.js';
import { foldFindings } from '../../src/discover/text-findings.js';

const FIXES = ["Add contoso.test to the website's certificate.", 'Stop answering HTTPS on contoso.test:443.'];

function trap(severity: Finding['severity'], effect: string): Finding {
  return {
    code: 'ROOT_DOMAIN_BLOCKS_FALLBACK',
    severity,
    title: 'The root-domain URL fails on its certificate before autodiscover.contoso.test is tried',
    detail: `The server at contoso.test answered with the certificate for www.contoso.test. ${effect}`,
    fixes: FIXES,
    steps: [1],
    because: [1],
  };
}

function mismatch(severity: Finding['severity']): Finding {
  return {
    code: 'CERT_NAME_MISMATCH',
    severity,
    title: 'contoso.test answers with a certificate that does not name it',
    detail:
      'At https://contoso.test/autodiscover/autodiscover.xml the server presented a certificate for www.contoso.test.',
    fixes: ['Reissue the certificate for contoso.test as well.'],
    steps: [1],
  };
}

const STOPS = 'Outlook 2007 to 2013 stop there: autodiscover.contoso.test is never tried.';
const PASSES = 'Outlook 2016 and later move on silently.';

function report(client: ProfileName, findings: Finding[]): DiscoveryReport {
  return {
    schema: 'autodisco.discovery/1',
    email: 'chris@contoso.test',
    client,
    outcome: 'failed',
    settings: null,
    prompt: null,
    steps: [],
    findings,
  };
}

describe('one report', () => {
  test('the fact a consequence explains is one line under it, and not a finding of its own', () => {
    const findings = [trap('error', STOPS), mismatch('error')];
    assert.deepEqual(
      foldFindings(findings).map((f) => [f.finding.code, f.facts.map((x) => x.code)]),
      [['ROOT_DOMAIN_BLOCKS_FALLBACK', ['CERT_NAME_MISMATCH']]],
    );
    const text = renderText(report('outlook-2013', findings));
    assert.match(
      text,
      /ERROR ROOT_DOMAIN_BLOCKS_FALLBACK: .*\n {4}The server .*\n {4}Certificate fact CERT_NAME_MISMATCH: contoso\.test answers with a certificate that does not name it\.\n {4}Fix: Add contoso\.test/,
    );
    assert.doesNotMatch(text, /ERROR CERT_NAME_MISMATCH/);
    assert.doesNotMatch(text, /Reissue the certificate/);
  });

  test('a fact nobody explains stands on its own, with its fixes', () => {
    const text = renderText(report('outlook', [mismatch('error')]));
    assert.match(text, /ERROR CERT_NAME_MISMATCH: .*\n.*\n {4}Fix: Reissue the certificate/);
  });
});

describe('--client all', () => {
  test('the same finding with the same meaning is shown once, naming its clients', () => {
    const text = renderComparison([report('outlook', [mismatch('error')]), report('activesync', [mismatch('error')])]);
    assert.equal(text.match(/CERT_NAME_MISMATCH: /g)?.length, 1);
    assert.match(text, /ERROR CERT_NAME_MISMATCH: contoso\.test answers .* \[outlook, activesync\]/);
  });

  test('the seed case: what is shared is said once, then what happens per client, with its severity', () => {
    const text = renderComparison([
      report('outlook', [trap('warning', PASSES), mismatch('warning')]),
      report('outlook-2013', [trap('error', STOPS), mismatch('error')]),
      report('activesync', [trap('warning', PASSES), mismatch('warning')]),
    ]);
    const block = text.slice(text.indexOf('Findings:'));
    assert.equal(block.match(/ROOT_DOMAIN_BLOCKS_FALLBACK: /g)?.length, 1, block);
    assert.equal(block.match(/The server at contoso\.test answered/g)?.length, 1, 'the shared sentence once');
    assert.match(block, /ERROR for outlook-2013: Outlook 2007 to 2013 stop there/);
    assert.match(block, /WARNING for outlook, activesync: Outlook 2016 and later move on silently\./);
    // Never one merged line saying the lookup stops for clients that get their settings.
    assert.doesNotMatch(block, /\[outlook-2013, outlook/);
    assert.equal(block.match(/Fix: Add contoso\.test/g)?.length, 1, 'the fixes once');
    assert.doesNotMatch(block, /^ {2}\w+ CERT_NAME_MISMATCH/m, 'the fact is folded under its consequence');
    assert.equal(
      block.match(/Certificate fact CERT_NAME_MISMATCH/g)?.length,
      1,
      'the same fact behind both, said once',
    );
  });
});
