/**
 * One client connection: frames bytes into LDAPMessages, answers them in order, records each operation.
 * Nothing a client sends may throw out of here: malformed input ends only that connection.
 */
import type { Socket } from 'node:net';
import { BerReader, PagedResultsControl, ProtocolOperation, type ProtocolOperationValues } from 'ldapts';
import { LdapDecodeError, ResultCode } from './codes.js';
import {
  decodeMessage,
  type LdapMessageIn,
  type LdapRequest,
  type RequestControl,
  RequestTag,
  takeFrame,
} from './decode.js';
import { type Directory, PAGED_RESULTS_OID, type SearchScope, selectAttributes } from './directory.js';
import { parseDn, sameDn } from './dn.js';
import {
  encodeNoticeOfDisconnection,
  encodeResult,
  encodeSearchEntry,
  encodeSearchReference,
  type ResultFields,
} from './encode.js';

export interface BindAccount {
  /** A DN, or any other name AD accepts for a simple bind (`user@contoso.test`, `CONTOSO\user`). */
  dn: string;
  password: string;
}

/** One line of the server's operation log. Passwords are never recorded. */
export type DirectoryOperation = { connection: number } & (
  | { op: 'connect'; remote: string }
  | { op: 'bind'; messageId: number; dn: string; method: 'simple' | 'sasl'; mechanism?: string; resultCode: number }
  | {
      op: 'search';
      messageId: number;
      /** DN (or name) the connection was bound as; '' for anonymous. */
      boundAs: string;
      base: string;
      scope: SearchScope | 'invalid';
      /** ldapts' rendering: attribute names lower-cased, and objectClass values too. */
      filter: string;
      attributes: string[];
      typesOnly: boolean;
      sizeLimit: number;
      paged: boolean;
      entries: number;
      references: number;
      resultCode: number;
    }
  | {
      op: 'add';
      messageId: number;
      /** DN (or name) the connection was bound as; '' for anonymous. */
      boundAs: string;
      dn: string;
      /** Attribute types as the client sent them. */
      attributes: string[];
      resultCode: number;
    }
  | { op: 'abandon'; messageId: number; abandonId: number }
  | { op: 'unbind' }
  /** An operation this server does not perform (modify, extended, …; add unless writable). */
  | { op: 'refused'; messageId: number; operation: string; resultCode: number }
  | { op: 'disconnect'; reason: string }
);

export interface SessionContext {
  id: number;
  directory: Directory;
  /** undefined: only anonymous binds. A list: these may bind, and anonymous connections may read only the root DSE. */
  accounts: readonly BindAccount[] | undefined;
  /** Accept AddRequests from connections bound as one of `accounts`. */
  writable: boolean;
  maxMessageBytes: number;
  record(op: DirectoryOperation): void;
}

type BindRequestIn = Extract<LdapRequest, { kind: 'bind' }>;
type SearchRequestIn = Extract<LdapRequest, { kind: 'search' }>;
type AddRequestIn = Extract<LdapRequest, { kind: 'add' }>;

const SCOPES: readonly SearchScope[] = ['base', 'one', 'sub', 'children'];

// AD's texts for these two failures (the DSID and version parts vary by build); diagnostics match on them.
const AD_BIND_REQUIRED =
  '000004DC: LdapErr: DSID-0C090A5C, comment: In order to perform this operation a successful bind must be completed on the connection., data 0, v4563';
const AD_INVALID_CREDENTIALS =
  '80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 52e, v4563';
const AD_INSUFFICIENT_ACCESS = '00000005: SecErr: DSID-03152857, problem 4003 (INSUFF_ACCESS_RIGHTS), data 0';

/** Refused operations: request tag → response tag and a name for the log. */
const REFUSED: ReadonlyMap<number, { response: ProtocolOperationValues; name: string }> = new Map([
  [RequestTag.modify, { response: ProtocolOperation.LDAP_RES_MODIFY, name: 'modify' }],
  [RequestTag.add, { response: ProtocolOperation.LDAP_RES_ADD, name: 'add' }],
  [RequestTag.delete, { response: ProtocolOperation.LDAP_RES_DELETE, name: 'delete' }],
  [RequestTag.modifyDN, { response: ProtocolOperation.LDAP_RES_MODRDN, name: 'modifyDN' }],
  [RequestTag.compare, { response: ProtocolOperation.LDAP_RES_COMPARE, name: 'compare' }],
]);

const LINGER_MS = 2_000; // after our goodbye, how long a client may take to close its side

export class Session {
  /** Bytes received but not yet handled, joined only once `needed` of them are here. */
  private chunks: Buffer[] = [];
  private received = 0;
  private needed = 0;
  private closing = false;
  private closeReason = 'client closed';
  /** Name of the last successful non-anonymous bind; '' while anonymous. */
  private boundAs = '';
  private lingerTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly ctx: SessionContext,
  ) {
    ctx.record({ connection: ctx.id, op: 'connect', remote: `${socket.remoteAddress}:${socket.remotePort}` });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {}); // resets and the like: 'close' follows and is all that matters
    socket.on('close', () => {
      clearTimeout(this.lingerTimer);
      ctx.record({ connection: ctx.id, op: 'disconnect', reason: this.closeReason });
    });
  }

  /** Server shutdown. */
  destroy(): void {
    if (!this.closing) this.closeReason = 'server closed';
    this.closing = true;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return; // read and drop, so the kernel does not answer with a reset
    this.chunks.push(chunk);
    this.received += chunk.length;
    if (this.received < this.needed) return;
    let buffer = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks);
    try {
      for (;;) {
        const cut = takeFrame(buffer, this.ctx.maxMessageBytes);
        if ('need' in cut) {
          this.chunks = [buffer];
          this.received = buffer.length;
          this.needed = cut.need;
          return;
        }
        buffer = cut.rest;
        this.handle(decodeMessage(cut.frame));
        if (this.closing) return;
      }
    } catch (err) {
      if (err instanceof LdapDecodeError) this.hangUp(ResultCode.protocolError, 'protocol error', err.message);
      else this.hangUp(ResultCode.unavailable, 'internal error', (err as Error).message); // a bug here, not the client's
    }
  }

  /** Notice of Disconnection (RFC 4511 §4.4.1), then close. */
  private hangUp(code: number, kind: string, reason: string): void {
    this.closeReason = `${kind}: ${reason}`;
    this.closing = true;
    this.socket.end(encodeNoticeOfDisconnection(code, reason));
    this.lingerTimer = setTimeout(() => this.socket.destroy(), LINGER_MS).unref();
  }

  private send(bytes: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  private handle(message: LdapMessageIn): void {
    const { messageId, request, controls } = message;
    const record = this.ctx.record;
    const connection = this.ctx.id;
    switch (request.kind) {
      case 'bind':
        this.bind(messageId, request, controls);
        return;
      case 'search':
        this.search(messageId, request, controls);
        return;
      case 'add':
        if (this.ctx.writable) this.add(messageId, request, controls);
        else this.refuse(messageId, RequestTag.add);
        return;
      case 'unbind':
        record({ connection, op: 'unbind' });
        this.closeReason = 'unbind';
        this.closing = true;
        this.socket.destroySoon();
        return;
      case 'abandon':
        // Every search is answered before the next message is read, so there is never anything to abandon.
        record({ connection, op: 'abandon', messageId, abandonId: request.abandonId });
        return;
      case 'extended': {
        // RFC 4511 §4.12: an unrecognised requestName gets protocolError. StartTLS is not offered either.
        const resultCode = ResultCode.protocolError;
        const text = `extended operation ${request.oid} is not supported`;
        this.send(encodeResult(ProtocolOperation.LDAP_RES_EXTENSION, messageId, { code: resultCode, message: text }));
        record({ connection, op: 'refused', messageId, operation: `extended ${request.oid}`, resultCode });
        return;
      }
      case 'other':
        this.refuse(messageId, request.tag);
        return;
    }
  }

  /** A write this server does not perform: unwillingToPerform, connection kept. */
  private refuse(messageId: number, tag: number): void {
    const refused = REFUSED.get(tag);
    if (refused === undefined) throw new LdapDecodeError(`unexpected request 0x${tag.toString(16)}`);
    const resultCode = ResultCode.unwillingToPerform;
    const text = `${refused.name} is not supported: this directory is read-only`;
    this.send(encodeResult(refused.response, messageId, { code: resultCode, message: text }));
    this.ctx.record({ connection: this.ctx.id, op: 'refused', messageId, operation: refused.name, resultCode });
  }

  private add(messageId: number, request: AddRequestIn, controls: RequestControl[]): void {
    const result = this.runAdd(request, controls);
    this.send(encodeResult(ProtocolOperation.LDAP_RES_ADD, messageId, result));
    this.ctx.record({
      connection: this.ctx.id,
      op: 'add',
      messageId,
      boundAs: this.boundAs,
      dn: request.dn,
      attributes: request.attributes.map((a) => a.type),
      resultCode: result.code,
    });
  }

  private runAdd(request: AddRequestIn, controls: RequestControl[]): ResultFields {
    const critical = unsupportedCritical(controls, []);
    if (critical)
      return { code: ResultCode.unavailableCriticalExtension, message: `control ${critical} is not supported` };
    // Only a connection bound as a configured account may write; anonymous ones (and failed binds) may not.
    if (this.boundAs === '') return { code: ResultCode.insufficientAccessRights, message: AD_INSUFFICIENT_ACCESS };
    const outcome = this.ctx.directory.add(request.dn, request.attributes);
    if (outcome.code === ResultCode.success) return { code: ResultCode.success };
    return 'message' in outcome
      ? { code: outcome.code, message: outcome.message, matchedDN: outcome.matchedDN ?? '' }
      : { code: outcome.code };
  }

  private bind(messageId: number, request: BindRequestIn, controls: RequestControl[]): void {
    const { dn, auth } = request;
    const result = this.checkBind(request, controls);
    this.boundAs = result.code === ResultCode.success ? dn : ''; // a failed bind leaves the connection anonymous
    this.send(encodeResult(ProtocolOperation.LDAP_RES_BIND, messageId, result));
    this.ctx.record({
      connection: this.ctx.id,
      op: 'bind',
      messageId,
      dn,
      method: auth.method,
      ...(auth.method === 'sasl' ? { mechanism: auth.mechanism } : {}),
      resultCode: result.code,
    });
  }

  private checkBind(request: BindRequestIn, controls: RequestControl[]): ResultFields {
    const { version, dn, auth } = request;
    const critical = unsupportedCritical(controls, []);
    if (critical)
      return { code: ResultCode.unavailableCriticalExtension, message: `control ${critical} is not supported` };
    if (version !== 3) return { code: ResultCode.protocolError, message: `LDAP version ${version} is not supported` };
    if (auth.method === 'sasl') {
      return { code: ResultCode.authMethodNotSupported, message: `SASL mechanism ${auth.mechanism} is not supported` };
    }
    if (dn === '' && auth.password === '') return { code: ResultCode.success }; // anonymous
    if (auth.password === '') {
      // RFC 4513 §5.1.2: a name without a password is an "unauthenticated bind", refused by default.
      return {
        code: ResultCode.unwillingToPerform,
        message: 'unauthenticated bind (name without password) is not allowed',
      };
    }
    const ok = (this.ctx.accounts ?? []).some((a) => sameName(a.dn, dn) && a.password === auth.password);
    return ok ? { code: ResultCode.success } : { code: ResultCode.invalidCredentials, message: AD_INVALID_CREDENTIALS };
  }

  private search(messageId: number, request: SearchRequestIn, controls: RequestControl[]): void {
    const scope = SCOPES[request.scope];
    const pagedControl = controls.find((c) => c.type === PAGED_RESULTS_OID);
    const counts = { entries: 0, references: 0 };
    const result = this.runSearch(messageId, request, scope, controls, pagedControl, counts);
    this.send(encodeResult(ProtocolOperation.LDAP_RES_SEARCH, messageId, result));
    this.ctx.record({
      connection: this.ctx.id,
      op: 'search',
      messageId,
      boundAs: this.boundAs,
      base: request.base,
      scope: scope ?? 'invalid',
      filter: request.filter.toString(),
      attributes: request.attributes,
      typesOnly: request.typesOnly,
      sizeLimit: request.sizeLimit,
      paged: pagedControl !== undefined,
      ...counts,
      resultCode: result.code,
    });
  }

  /** Sends the entries and references; returns the SearchResultDone fields. */
  private runSearch(
    messageId: number,
    request: SearchRequestIn,
    scope: SearchScope | undefined,
    controls: RequestControl[],
    pagedControl: RequestControl | undefined,
    counts: { entries: number; references: number },
  ): ResultFields {
    const critical = unsupportedCritical(controls, [PAGED_RESULTS_OID]);
    if (critical)
      return { code: ResultCode.unavailableCriticalExtension, message: `control ${critical} is not supported` };
    if (scope === undefined)
      return { code: ResultCode.protocolError, message: `unknown search scope ${request.scope}` };
    const rootDseRead = request.base.trim() === '' && scope === 'base';
    if (this.ctx.accounts !== undefined && this.boundAs === '' && !rootDseRead) {
      // AD lets anyone bind anonymously and read the root DSE, but refuses anonymous searches of the tree.
      return { code: ResultCode.operationsError, message: AD_BIND_REQUIRED };
    }
    const outcome = this.ctx.directory.search(request.base, scope, request.filter);
    if (outcome.code !== ResultCode.success) {
      return { code: outcome.code, message: outcome.message, matchedDN: outcome.matchedDN };
    }

    const total = outcome.entries.length;
    const page = pageOf(pagedControl, total);
    if ('error' in page) return { code: ResultCode.unwillingToPerform, message: page.error };
    const limit = request.sizeLimit > 0 ? request.sizeLimit : Number.POSITIVE_INFINITY;
    const stop = Math.min(page.end, limit);
    for (const entry of outcome.entries.slice(page.start, stop)) {
      this.send(encodeSearchEntry(messageId, entry.dn, selectAttributes(entry, request.attributes, request.typesOnly)));
      counts.entries++;
    }
    const exceeded = limit < total && stop >= limit;
    const more = !exceeded && !page.abandoned && page.end < total;
    if (!more && !page.abandoned) {
      // References go with the last page, so a paged client sees each once.
      for (const uri of outcome.references) this.send(encodeSearchReference(messageId, [uri]));
      counts.references = outcome.references.length;
    }
    const cookie = Buffer.from(more ? String(page.end) : '');
    return {
      code: exceeded ? ResultCode.sizeLimitExceeded : ResultCode.success,
      ...(exceeded ? { message: `size limit of ${request.sizeLimit} exceeded` } : {}),
      controls: pagedControl === undefined ? [] : [new PagedResultsControl({ value: { size: 0, cookie } })],
    };
  }
}

/** Type of the first critical control not in `supported` (RFC 4511 §4.1.11), if any. */
function unsupportedCritical(controls: readonly RequestControl[], supported: readonly string[]): string | undefined {
  return controls.find((c) => c.critical && !supported.includes(c.type))?.type;
}

/**
 * Which slice of the results this request gets. The paged-results cookie is simply the offset of the next entry:
 * entries are only ever appended (adds go at the end), so an offset still names the same place and no per-connection state is needed.
 */
function pageOf(
  control: RequestControl | undefined,
  total: number,
): { start: number; end: number; abandoned: boolean } | { error: string } {
  if (control === undefined) return { start: 0, end: total, abandoned: false };
  const paged = new PagedResultsControl();
  try {
    paged.parse(new BerReader(control.value));
  } catch {
    return { error: 'malformed paged results control' };
  }
  const size = paged.value?.size ?? 0;
  const cookie = paged.value?.cookie?.toString('utf8') ?? '';
  const start = cookie === '' ? 0 : Number(cookie);
  if (!Number.isInteger(start) || start < 0 || start > total) return { error: 'invalid paged results cookie' };
  if (size <= 0) return { start, end: start, abandoned: true }; // size 0 ends the paged search (RFC 2696 §3)
  return { start, end: Math.min(total, start + size), abandoned: false };
}

/** Bind names: DNs compare as DNs; other forms (UPN, DOMAIN\user) case-insensitively. */
function sameName(configured: string, given: string): boolean {
  const a = parseDn(configured);
  if (a !== undefined && a.length > 0) return sameDn(configured, given);
  return configured.toLowerCase() === given.toLowerCase();
}
