import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import type { DiscoveryReport, Outcome, ProfileName, StepMethod, StepResult } from '../../src/discover/report.js';
import { COMPARISON_SCHEMA_ID, REPORT_SCHEMA_ID } from '../../src/discover/report.js';
import { compareReports } from '../../src/discover/text.js';
import {
  assertValidReport,
  type ReportSchemaError,
  reportSchema,
  reportSchemaErrors,
} from '../helpers/report-schema.js';

const SHA = (byte: string) => Array.from({ length: 32 }, () => byte).join(':');

/** The contract's example report (docs/discover-contract.md), completed: its steps, a certificate chain and a finding. */
function exampleReport(): DiscoveryReport {
  const website = () => ({
    subject: 'CN=www.contoso.test',
    dnsNames: ['www.contoso.test'],
    issuer: 'CN=Contoso Test Root CA',
    notBefore: '2026-01-01T00:00:00.000Z',
    notAfter: '2027-01-01T00:00:00.000Z',
    sha256: SHA('AB'),
    selfSigned: false,
  });
  const mail = () => ({
    ...website(),
    subject: 'CN=autodiscover.contoso.test',
    dnsNames: ['autodiscover.contoso.test'],
  });
  return {
    schema: 'autodisco.discovery/1',
    email: 'chris@contoso.test',
    client: 'outlook',
    outcome: 'settings',
    settings: {
      email: 'chris@contoso.test',
      url: 'https://autodiscover.contoso.test/autodiscover/autodiscover.xml',
      method: 'autodiscover-domain',
      user: { displayName: 'Chris', legacyDN: null, autoDiscoverSMTPAddress: 'chris@contoso.test' },
      protocols: [
        {
          type: 'EXPR',
          server: 'mail.contoso.test',
          ssl: true,
          authPackage: 'ntlm',
          ewsUrl: 'https://mail.contoso.test/EWS/Exchange.asmx',
          certPrincipalName: 'msstd:mail.contoso.test',
        },
        { type: 'IMAP', server: 'imap.contoso.test', port: 993, ssl: true, loginName: 'chris@contoso.test' },
      ],
    },
    prompt: null,
    steps: [
      {
        method: 'scp',
        email: 'chris@contoso.test',
        host: '',
        addresses: [],
        result: 'skipped',
        status: null,
        redirectTo: null,
        detail: 'not domain-joined',
        ms: 0,
      },
      {
        method: 'root-domain',
        email: 'chris@contoso.test',
        url: 'https://contoso.test/autodiscover/autodiscover.xml',
        host: 'contoso.test',
        addresses: ['127.0.10.1'],
        result: 'tls-error',
        status: null,
        tls: {
          protocol: 'TLSv1.3',
          error: 'ERR_TLS_CERT_ALTNAME_INVALID',
          certificate: website(),
          chain: [website()],
        },
        redirectTo: null,
        detail: 'The certificate names www.contoso.test but not contoso.test.',
        ms: 14,
      },
      {
        method: 'autodiscover-domain',
        email: 'chris@contoso.test',
        url: 'https://autodiscover.contoso.test/autodiscover/autodiscover.xml',
        host: 'autodiscover.contoso.test',
        addresses: ['127.0.10.2'],
        result: 'settings',
        status: 200,
        tls: { protocol: 'TLSv1.3', error: null, certificate: mail(), chain: [mail()] },
        redirectTo: null,
        detail: 'Settings for chris@contoso.test.',
        ms: 9.5,
      },
    ],
    findings: [
      {
        code: 'ROOT_DOMAIN_BLOCKS_FALLBACK',
        severity: 'warning',
        title: 'The website certificate at contoso.test interrupts the lookup',
        detail: 'https://contoso.test presents a certificate for www.contoso.test only.',
        fixes: ['Add contoso.test to the website certificate', 'Make contoso.test refuse connections on port 443'],
        steps: [1],
      },
    ],
  };
}

const REMOVE = Symbol('remove');

/**
 * A deep copy of the example with edits at JSON Pointers (the paths the errors name): it sends what the TypeScript
 * type would refuse, which is the point.
 */
function broken(...edits: [pointer: string, value: unknown][]): unknown {
  const report: unknown = structuredClone(exampleReport());
  for (const [pointer, value] of edits) {
    const keys = pointer.split('/').slice(1);
    const last = keys.pop();
    let target = report;
    for (const key of keys) target = (target as Record<string, unknown>)[key];
    assert.ok(typeof target === 'object' && target !== null && last !== undefined, pointer);
    const holder = target as Record<string, unknown>;
    if (value === REMOVE) {
      assert.ok(Object.hasOwn(holder, last), pointer);
      delete holder[last];
    } else holder[last] = value;
  }
  return report;
}

/**
 * `path keyword`, plus the property for `required`: enough to pin each error without ajv's wording. Sorted, as
 * the order is ajv's evaluation order, not something the schema promises.
 */
function errorsAt(report: unknown): string[] {
  return reportSchemaErrors(report)
    .map((e: ReportSchemaError) => [e.path, e.keyword, e.missingProperty].filter((x) => x !== undefined).join(' '))
    .sort();
}

/** The errors of `report` are exactly `expected`, in any order. */
function assertErrors(report: unknown, expected: string[]): void {
  assert.deepEqual(errorsAt(report), [...expected].sort());
}

describe('discovery-report.schema.json', () => {
  test('is a draft 2020-12 schema with the published $id', () => {
    assert.equal(reportSchema['$schema'], 'https://json-schema.org/draft/2020-12/schema');
    assert.equal(reportSchema['$id'], 'https://autodisco.invalid/schemas/discovery-report.schema.json');
  });

  test("the contract's example report, completed, is valid", () => {
    assertValidReport(exampleReport());
  });

  test('a report that stopped at a prompt, and one that failed', () => {
    const prompt = exampleReport();
    prompt.outcome = 'prompt';
    prompt.settings = null;
    prompt.prompt = {
      kind: 'certificate',
      url: 'https://contoso.test/autodiscover/autodiscover.xml',
      host: 'contoso.test',
      message: 'The name on the security certificate is invalid or does not match the name of the site.',
    };
    assertValidReport(prompt);
    const failed = exampleReport();
    failed.outcome = 'failed';
    failed.settings = null;
    failed.findings = [];
    assertValidReport(failed);
  });

  test('fields may be added anywhere, and more profiles may come', () => {
    assertValidReport(
      broken(
        ['/timing', { wallMs: 20, sequentialMs: 23, clientSequentialMs: 23 }],
        ['/client', 'apple-mail'],
        ['/steps/1/httpMethod', 'POST'],
        ['/steps/1/tls/names', { strict: false, node: false, outlook: false }],
        ['/steps/1/tls/certificate/commonName', 'www.contoso.test'],
        ['/settings/user/deploymentId', '644560b8-a1ce-429c-8ace-23395843f701'],
        ['/settings/protocols/0/serverVersionDecoded', '15.1.2507'],
        ['/findings/0/docs', 'https://example.test/'],
      ),
    );
  });

  test('a missing field is reported with its path', () => {
    assertErrors(
      broken(
        ['/findings', REMOVE],
        ['/steps/2/ms', REMOVE],
        ['/steps/1/tls/chain', REMOVE],
        ['/settings/user/legacyDN', REMOVE],
        ['/settings/protocols/1/type', REMOVE],
      ),
      [
        ' required findings',
        '/settings/user required legacyDN',
        '/settings/protocols/1 required type',
        '/steps/1/tls required chain',
        '/steps/2 required ms',
      ],
    );
  });

  test('a bad enum value is reported with its path', () => {
    assertErrors(
      broken(
        ['/steps/0/result', 'ok'],
        ['/steps/0/method', 'dns'],
        ['/findings/0/severity', 'fatal'],
        ['/settings/method', 'magic'],
        ['/prompt', { kind: 'question', url: 'https://x.test/', host: 'x.test', message: 'm' }],
      ),
      [
        '/settings/method enum',
        '/prompt/kind enum',
        '/prompt type',
        ' if',
        '/steps/0/method enum',
        '/steps/0/result enum',
        '/findings/0/severity enum',
      ],
    );
    assertErrors(broken(['/outcome', 'ok'], ['/settings', null]), ['/outcome enum']);
    assertErrors(broken(['/schema', 'autodisco.discovery/2']), ['/schema const']);
    assertErrors(broken(['/client', 'Outlook 2016']), ['/client pattern']);
  });

  test('a bad sha256, date or finding code is reported with its path', () => {
    assertErrors(
      broken(
        ['/steps/1/tls/certificate/sha256', SHA('ab')],
        ['/steps/1/tls/chain/0/sha256', SHA('AB').replaceAll(':', '')],
        ['/steps/2/tls/certificate/sha256', SHA('AB').slice(3)],
        ['/steps/2/tls/chain/0/notAfter', '2027-01-01'],
        ['/findings/0/code', 'root-domain-blocks-fallback'],
      ),
      [
        '/steps/1/tls/certificate/sha256 pattern',
        '/steps/1/tls/chain/0/sha256 pattern',
        '/steps/2/tls/certificate/sha256 pattern',
        '/steps/2/tls/chain/0/notAfter pattern',
        '/findings/0/code pattern',
      ],
    );
  });

  test('a wrong type is reported with its path', () => {
    assertErrors(
      broken(
        ['/steps/2/status', '200'],
        ['/steps/1/ms', -1],
        ['/steps/1/tls/certificate/selfSigned', 'no'],
        ['/steps/1/tls/chain', {}],
        ['/steps/0/addresses', '127.0.0.1'],
        ['/steps/0/url', null],
        ['/settings/protocols/0/type', 7],
        ['/findings/0/steps', [1.5]],
      ),
      [
        '/settings/protocols/0/type type',
        '/steps/0/url type',
        '/steps/0/addresses type',
        '/steps/1/tls/certificate/selfSigned type',
        '/steps/1/tls/chain type',
        '/steps/1/ms minimum',
        '/steps/2/status type',
        '/findings/0/steps/0 type',
      ],
    );
  });

  test('settings and prompt follow the outcome', () => {
    assertErrors(broken(['/outcome', 'failed']), ['/settings type', ' if']);
    assertErrors(broken(['/settings', null]), ['/settings type', ' if']);
    assertErrors(broken(['/outcome', 'prompt'], ['/settings', null]), ['/prompt type', ' if']);
  });

  test('assertValidReport lists every error with its instance path', () => {
    const report = broken(['/outcome', 'done'], ['/steps/1/tls/certificate/sha256', 'AB:CD']);
    assert.throws(
      () => assertValidReport(report),
      (err: unknown) => {
        assert.ok(err instanceof assert.AssertionError);
        assert.equal(
          err.message,
          [
            'the report does not match discovery-report.schema.json:',
            '  /settings: must be null',
            '  (root): must match "else" schema',
            '  /outcome: must be equal to one of the allowed values: ["settings","prompt","failed"]',
            '  /steps/1/tls/certificate/sha256: must match pattern "^[0-9A-F]{2}(:[0-9A-F]{2}){31}$"',
          ].join('\n'),
        );
        return true;
      },
    );
  });

  test('the enums are the ones report.ts declares', () => {
    const defs = reportSchema['$defs'] as Record<string, { enum?: string[] }>;
    const props = reportSchema['properties'] as Record<string, { enum?: string[]; examples?: string[] }>;
    const methods: Record<StepMethod, true> = {
      scp: true,
      'root-domain': true,
      'autodiscover-domain': true,
      'http-redirect': true,
      srv: true,
      redirect: true,
      autoconfig: true,
      'autoconfig-mx': true,
      'json-v2': true,
    };
    const results: Record<StepResult, true> = {
      settings: true,
      'redirect-addr': true,
      'redirect-url': true,
      'error-response': true,
      'not-found': true,
      'dns-error': true,
      'connect-failed': true,
      timeout: true,
      'tls-error': true,
      'http-status': true,
      'invalid-response': true,
      prompt: true,
      refused: true,
      skipped: true,
      'soap-enabled': true,
      'no-soap': true,
    };
    const outcomes: Record<Outcome, true> = { settings: true, prompt: true, failed: true };
    const profiles: Record<ProfileName, true> = {
      outlook: true,
      'outlook-2013': true,
      activesync: true,
      thunderbird: true,
      ews: true,
    };
    assert.deepEqual(defs['method']?.enum, Object.keys(methods));
    assert.deepEqual(defs['result']?.enum, Object.keys(results));
    assert.deepEqual(props['outcome']?.enum, Object.keys(outcomes));
    assert.deepEqual(props['client']?.examples, Object.keys(profiles));
    assert.equal((props['schema'] as { const?: string }).const, REPORT_SCHEMA_ID);
  });
});

describe('discovery-comparison.schema.json (--client all --json)', () => {
  const schema = JSON.parse(
    readFileSync(new URL('../../schemas/discovery-comparison.schema.json', import.meta.url), 'utf8'),
  );
  const validate = new Ajv2020.default({
    allErrors: true,
    strict: true,
    strictTypes: false,
    validateFormats: false,
  }).compile(schema);

  test('the wrapper compareReports() writes is valid, each report checked as a report', () => {
    const reports = [exampleReport(), { ...exampleReport(), client: 'outlook-2013' as const }];
    const wrapper = compareReports(reports);
    assert.equal(wrapper.schema, COMPARISON_SCHEMA_ID);
    assert.equal(validate(JSON.parse(JSON.stringify(wrapper))), true, JSON.stringify(validate.errors));
    const bad = { ...wrapper, reports: [{ ...exampleReport(), outcome: 'done' }] };
    assert.equal(validate(bad), false);
    assert.ok(validate.errors?.some((e) => e.instancePath === '/reports/0/outcome'));
    assert.equal(validate({ ...wrapper, schema: 'autodisco.discovery/1' }), false);
  });
});
