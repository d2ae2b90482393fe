/** The scenario the lab tests bring up, as YAML (what an admin writes), shared by lab.test.ts and schema.test.ts. */
export const SMOKE_SCENARIO = `# yaml-language-server: $schema=../../schemas/lab-scenario.schema.json
name: lab-smoke
title: A small world for the lab tests
description: |
  contoso.test has a public website on the root domain whose certificate only names www.contoso.test,
  and an Exchange server behind autodiscover.contoso.test.
email: chris@contoso.test
expect:
  outlook: prompt
dns:
  zones:
    - origin: contoso.test
      records:
        - { name: '@', type: A, value: 'host:web' }
        - { name: www, type: A, value: 'host:web' }
        - { name: autodiscover, type: CNAME, value: mail.contoso.test }
        - { name: mail, type: A, value: 'host:exchange' }
        - { name: _autodiscover._tcp, type: SRV, priority: 0, weight: 0, port: 443, target: mail.contoso.test }
        - { name: '@', type: MX, preference: 10, exchange: mail.contoso.test }
        - { name: '@', type: TXT, value: v=spf1 -all }
        - { name: '*.legacy', type: A, value: 'host:legacy' }
        - { name: external, type: A, value: 192.0.2.10 }
  faults:
    - { name: broken.contoso.test, action: servfail }
hosts:
  - name: web
    https:
      certificate: { names: [www.contoso.test] }
      sni:
        - certificate: { names: ['*.shop.test'], keyType: rsa }
    http: {}
    routes:
      - { path: /, answer: { html: '<h1>Contoso</h1>' } }
      - { path: /old, answer: { redirect: 'https://www.contoso.test/new', status: 301 } }
      - path: /Autodiscover/Autodiscover.xml
        method: POST
        answer: { status: 403, body: forbidden, contentType: text/plain, headers: { x-lab: web } }
      - { path: /reset, answer: { reset: true } }
      - { path: /hang, answer: { hang: true } }
      - { path: /slow, answer: { delayMs: 200, then: { status: 200, body: late } } }
      - { path: /secure-only, scheme: https, answer: { status: 200, body: tls } }
  - name: exchange
    https:
      certificate: { names: [mail.contoso.test, autodiscover.contoso.test], keyType: rsa }
    http: {}
    routes:
      - path: '*'
        answer:
          autodisco:
            domains:
              - name: contoso.test
                displayName: Contoso Mail
                imap: { host: imap.contoso.test, port: 993 }
                smtp: { host: smtp.contoso.test, port: 587, security: starttls }
            users:
              - { email: chris@contoso.test, displayName: Chris Gray }
  - name: legacy
    https:
      certificate: { names: [old.legacy.contoso.test], validity: expired }
      sni:
        - certificate: { names: [self.legacy.contoso.test], issuer: self-signed }
        - certificate: { names: [nochain.legacy.contoso.test], sendIntermediate: false }
        - certificate: { names: [foreign.legacy.contoso.test], issuer: untrusted }
        - certificate: { names: [future.legacy.contoso.test], validity: not-yet-valid }
        - certificate: { names: [soon.legacy.contoso.test], validity: expiring, via: root }
    routes: []
directory:
  baseDN: DC=contoso,DC=test
  scps:
    - server: EX1
      url: https://mail.contoso.test/Autodiscover/Autodiscover.xml
      sites: [Default-First-Site-Name]
      whenCreated: 2019-03-04T05:06:07Z
    - server: EX2
      pointer: LDAP://dc2.fabrikam.test:389
      domains: [fabrikam.test]
      whenCreated: '2018-01-02'
`;
