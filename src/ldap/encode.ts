/**
 * Writing responses. ldapts' response classes (BindResponse, SearchEntry, …) can only parse, so these subclasses
 * add the missing `writeMessage`; ldapts' Message.write() still does the envelope (messageID, tag, controls).
 */
import {
  type Attribute,
  type BerWriter,
  type Control,
  ExtendedResponse,
  ProtocolOperation,
  type ProtocolOperationValues,
  SearchEntry,
  SearchReference,
} from 'ldapts';

/** RFC 4511 §4.4.1: unsolicited notification sent (with messageID 0) right before the server drops a connection. */
export const NOTICE_OF_DISCONNECTION_OID = '1.3.6.1.4.1.1466.20036';

const RESPONSE_NAME_TAG = 0x8a; // ExtendedResponse responseName [10]

/**
 * Any response that is just an LDAPResult (RFC 4511 §4.1.9), optionally with a responseName. Built on
 * ExtendedResponse because ldapts does not export their common base (MessageResponse) and ExtendedResponse's fields
 * (LDAPResult + oid) cover them all; the protocolOp tag is set per use (BindResponse, SearchResultDone, …).
 */
class ResultMessage extends ExtendedResponse {
  constructor(
    protocolOperation: ProtocolOperationValues,
    options: { messageId: number; status: number; errorMessage: string; matchedDN: string; controls?: Control[] },
    responseName?: string,
  ) {
    super({ ...options, ...(responseName === undefined ? {} : { oid: responseName }) });
    this.protocolOperation = protocolOperation;
  }

  protected override writeMessage(writer: BerWriter): void {
    writer.writeEnumeration(this.status);
    writer.writeString(this.matchedDN);
    writer.writeString(this.errorMessage);
    if (this.oid !== undefined) writer.writeString(this.oid, RESPONSE_NAME_TAG);
  }
}

class EntryMessage extends SearchEntry {
  protected override writeMessage(writer: BerWriter): void {
    writer.writeString(this.name);
    writer.startSequence();
    for (const attribute of this.attributes) attribute.write(writer);
    writer.endSequence();
  }
}

class ReferenceMessage extends SearchReference {
  protected override writeMessage(writer: BerWriter): void {
    for (const uri of this.uris) writer.writeString(uri);
  }
}

export interface ResultFields {
  code: number;
  message?: string;
  matchedDN?: string;
  controls?: Control[];
}

export function encodeResult(op: ProtocolOperationValues, messageId: number, result: ResultFields): Buffer {
  const options = {
    messageId,
    status: result.code,
    errorMessage: result.message ?? '',
    matchedDN: result.matchedDN ?? '',
    ...(result.controls?.length ? { controls: result.controls } : {}),
  };
  return new ResultMessage(op, options).write();
}

export function encodeSearchEntry(messageId: number, dn: string, attributes: Attribute[]): Buffer {
  return new EntryMessage({ messageId, name: dn, attributes }).write();
}

export function encodeSearchReference(messageId: number, uris: string[]): Buffer {
  return new ReferenceMessage({ messageId, uris }).write();
}

export function encodeNoticeOfDisconnection(code: number, message: string): Buffer {
  const options = { messageId: 0, status: code, errorMessage: message, matchedDN: '' };
  return new ResultMessage(ProtocolOperation.LDAP_RES_EXTENSION, options, NOTICE_OF_DISCONNECTION_OID).write();
}
