/**
 * POST /autodiscover/autodiscover.svc (and …/wssecurity, answered the same): SOAP Autodiscover (MS-OXWSADISC),
 * GetUserSettings and GetDomainSettings, from the same store and the same resolveAnswer as POX: one answer, two
 * encodings. GET answers with a service page, as Exchange's WCF endpoint does for a browser.
 */
import { domainToASCII } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { renderSoapFault, SOAP_FAULT_STATUS } from '../../formats/soap/fault.js';
import type { SoapOperation } from '../../formats/soap/namespaces.js';
import { parseSoapRequest, type SoapRequest } from '../../formats/soap/request.js';
import {
  renderSoapResponse,
  type SoapErrorCode,
  type SoapIdentityResponse,
  type SoapResponse,
} from '../../formats/soap/response.js';
import { domainResponse, soapRedirectUrl, userResponse } from '../../formats/soap/settings.js';
import {
  DEFAULT_REQUESTED_VERSION,
  DEFAULT_SERVER_BUILD,
  serverVersionInfo,
  versionRank,
} from '../../formats/soap/versions.js';
import { type Answer, resolveAnswer } from '../../settings/resolve.js';
import type { RouteContext } from '../app.js';
import { answerForAddress, normalizeAddress } from '../lookup.js';

const XML = 'text/xml; charset=utf-8';

/** Exchange refuses GetUserSettings for more than 100 users in one request; so does this server. */
export const MAX_IDENTITIES = 100;

export const SOAP_PATHS = ['/autodiscover/autodiscover.svc', '/autodiscover/autodiscover.svc/wssecurity'] as const;

/**
 * Headers the EWS Managed API reads from the unauthenticated GET of /autodiscover/autodiscover.xml to learn that
 * the SOAP endpoints exist (AutodiscoverService.GetEndpointsFromHttpWebResponse); without them it never posts SOAP.
 */
export const SOAP_ENABLED_HEADERS = { 'x-soap-enabled': 'True', 'x-wssecurity-enabled': 'True' } as const;

const OUTCOMES: Partial<Record<SoapErrorCode, string>> = {
  NoError: 'settings',
  RedirectAddress: 'redirect-addr',
  RedirectUrl: 'redirect-url',
  InvalidUser: 'not-found',
  InvalidDomain: 'not-found',
  InvalidRequest: 'invalid-request',
};

const SERVICE_PAGE = `<!DOCTYPE html>
<html><head><title>Autodiscover Service</title></head>
<body><h1>Autodiscover Service</h1>
<p>This is the SOAP Autodiscover service (MS-OXWSADISC). EWS applications POST GetUserSettings or
GetDomainSettings requests (SOAP 1.1 with WS-Addressing) to this URL.</p>
<p>Metadata publishing for this service is disabled: clients build their requests themselves.</p>
</body></html>
`;

export async function soapRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const fault = (request: FastifyRequest, reply: FastifyReply, code: string, reason: string) => {
    request.outcome = 'fault';
    return reply.code(SOAP_FAULT_STATUS).type(XML).send(renderSoapFault({ code, reason }));
  };

  const userAnswer = async (mailbox: string): Promise<Answer> => {
    const email = normalizeAddress(mailbox);
    return email ? answerForAddress(ctx.store, email) : { kind: 'not-found', reason: 'unknown-user' };
  };

  /** A domain's answer: its settings, or where it moved; its build feeds ServerVersionInfo. */
  const domainAnswer = async (
    name: string,
    requested: SoapRequest,
    requestedVersion: string,
  ): Promise<{ response: SoapIdentityResponse; build?: string }> => {
    const ascii = name.includes('.') ? domainToASCII(name.replace(/\.$/, '')).toLowerCase() : '';
    const domain = ascii ? await ctx.store.findDomain(ascii) : undefined;
    if (!domain) {
      return {
        response: {
          errorCode: 'InvalidDomain',
          errorMessage: 'This domain is not served here.',
          settings: [],
          settingErrors: [],
        },
      };
    }
    const moved = domain.redirect;
    if (moved) {
      let target: string;
      if ('url' in moved) target = soapRedirectUrl(moved.url);
      else {
        const next = await ctx.store.findDomain(moved.domain);
        target = `https://${next?.autodiscoverHost ?? `autodiscover.${moved.domain}`}/autodiscover/autodiscover.svc`;
      }
      return {
        response: {
          errorCode: 'RedirectUrl',
          errorMessage: 'Redirection URL.',
          redirectTarget: target,
          settings: [],
          settingErrors: [],
        },
      };
    }
    const answer = resolveAnswer(domain, undefined, undefined);
    if (answer.kind !== 'settings') throw new Error('a domain without redirect resolves to settings');
    const build = domain.exchange?.serverVersion;
    return {
      response: domainResponse(answer.settings, requested.settings, {
        requestedVersion,
        build: build ?? DEFAULT_SERVER_BUILD,
      }),
      ...(build ? { build } : {}),
    };
  };

  const refuse = (operation: SoapOperation, requestedVersion: string, message: string): SoapResponse => ({
    operation,
    serverVersion: serverVersionInfo(DEFAULT_SERVER_BUILD, requestedVersion),
    errorCode: 'InvalidRequest',
    errorMessage: message,
    responses: [],
  });

  const respond = (
    operation: SoapOperation,
    build: string,
    requestedVersion: string,
    responses: SoapIdentityResponse[],
  ): SoapResponse => ({
    operation,
    serverVersion: serverVersionInfo(build, requestedVersion),
    errorCode: 'NoError',
    errorMessage: '',
    responses,
  });

  const answer = async (request: FastifyRequest, req: SoapRequest): Promise<SoapResponse> => {
    const asked = req.requestedServerVersion;
    // No header: the client speaks the first SOAP Autodiscover version (Exchange 2010).
    const requestedVersion = asked ?? DEFAULT_REQUESTED_VERSION;
    if (versionRank(requestedVersion) === undefined) {
      return refuse(
        req.operation,
        DEFAULT_REQUESTED_VERSION,
        'RequestedServerVersion is not an Exchange version (expected e.g. Exchange2010, Exchange2013 or Exchange2013_SP1).',
      );
    }
    const what = req.operation === 'GetUserSettings' ? 'users' : 'domains';
    if (req.identities.length === 0) return refuse(req.operation, requestedVersion, `The request names no ${what}.`);
    if (req.identities.length > MAX_IDENTITIES) {
      return refuse(req.operation, requestedVersion, `The request names more than ${MAX_IDENTITIES} ${what}.`);
    }
    if (req.settings.length === 0) return refuse(req.operation, requestedVersion, 'The request names no settings.');

    if (req.operation === 'GetUserSettings') {
      request.address = req.identities[0];
      const answers: Answer[] = [];
      for (const mailbox of req.identities) answers.push(await userAnswer(mailbox));
      // One server, one build: the first answering domain's exchange.serverVersion, else the default.
      let build: string | undefined;
      for (const a of answers) if (a.kind === 'settings') build ??= a.settings.exchange?.serverVersion;
      const serverBuild = build ?? DEFAULT_SERVER_BUILD;
      return respond(
        req.operation,
        serverBuild,
        requestedVersion,
        answers.map((a) => userResponse(a, req.settings, { requestedVersion, build: serverBuild })),
      );
    }
    const responses: SoapIdentityResponse[] = [];
    let build: string | undefined;
    for (const name of req.identities) {
      const { response, build: b } = await domainAnswer(name, req, requestedVersion);
      build ??= b;
      responses.push(response);
    }
    return respond(req.operation, build ?? DEFAULT_SERVER_BUILD, requestedVersion, responses);
  };

  const post = async (request: FastifyRequest, reply: FastifyReply) => {
    request.endpoint = 'soap';
    const soapAction = request.headers['soapaction'];
    // parseXml refuses any DTD before parsing and stops at the depth limit: a fault, nothing expanded or echoed.
    const parsed = parseSoapRequest(
      typeof request.body === 'string' ? request.body : '',
      typeof soapAction === 'string' ? soapAction : undefined,
    );
    if (!parsed.ok) return fault(request, reply, parsed.problem.code, parsed.problem.reason);
    const response = await answer(request, parsed.request);
    const first = response.errorCode === 'NoError' ? response.responses[0]?.errorCode : response.errorCode;
    request.outcome = (first && OUTCOMES[first]) ?? 'error';
    return reply.type(XML).header('cache-control', 'private, no-store').send(renderSoapResponse(response));
  };

  const get = async (request: FastifyRequest, reply: FastifyReply) => {
    request.endpoint = 'soap';
    request.outcome = 'service-page';
    return reply.type('text/html; charset=utf-8').headers(SOAP_ENABLED_HEADERS).send(SERVICE_PAGE);
  };

  for (const path of SOAP_PATHS) {
    app.post(path, post);
    app.get(path, get);
  }
}
