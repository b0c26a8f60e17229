/**
 * The Query protocol's XML envelopes. The SDKs ignore the root element's name but need the
 * `<{Operation}Result>` child, and they read list items by the model's element names, so the shape builders
 * pass lists already wrapped (`{ DBClusters: { DBCluster: [...] } }`).
 */
import { XMLBuilder } from 'fast-xml-parser';
import type { ApiFault } from '../control/faults.js';

/**
 * A value the builders accept: undefined members are left out, Dates become ISO-8601 UTC with milliseconds
 * only when there are any (`…:37Z`, `…:25.104Z`), as AWS writes them.
 */
export type XmlValue = string | number | boolean | Date | undefined | null | XmlObject | XmlValue[];
export interface XmlObject {
  [key: string]: XmlValue;
}

export const NAMESPACES = {
  rds: 'http://rds.amazonaws.com/doc/2014-10-31/',
  cloudformation: 'http://cloudformation.amazonaws.com/doc/2010-05-15/',
} as const;

export type ServiceName = keyof typeof NAMESPACES;

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: true,
  processEntities: true,
});

/** A list wrapper whose items use `itemName`; an empty list still yields the (empty) wrapper element. */
export function xmlList(itemName: string, items: XmlValue[]): XmlObject {
  return items.length === 0 ? {} : { [itemName]: items };
}

export function successXml(
  service: ServiceName,
  action: string,
  result: XmlObject,
  requestId: string,
): string {
  return render({
    [`${action}Response`]: {
      '@_xmlns': NAMESPACES[service],
      [`${action}Result`]: result,
      ResponseMetadata: { RequestId: requestId },
    },
  });
}

/** Error messages quote what the client sent; past this many characters the rest is left out. */
const MAX_MESSAGE_CHARS = 2000;

export function errorXml(service: ServiceName, error: ApiFault, requestId: string): string {
  return render({
    ErrorResponse: {
      '@_xmlns': NAMESPACES[service],
      Error: {
        Type: error.httpStatus >= 500 ? 'Receiver' : 'Sender',
        Code: error.code,
        Message: clip(error.message),
      },
      RequestId: requestId,
    },
  });
}

function clip(message: string): string {
  if (message.length <= MAX_MESSAGE_CHARS) return message;
  const left = (message.length - MAX_MESSAGE_CHARS).toLocaleString('en-US');
  return `${message.slice(0, MAX_MESSAGE_CHARS)}… (${left} more characters)`;
}

function render(document: XmlObject): string {
  return '<?xml version="1.0" encoding="UTF-8"?>\n' + builder.build(normalize(document)) + '\n';
}

/**
 * Characters XML 1.0 cannot carry even as references (C0 controls but tab and newlines, U+FFFE/U+FFFF, lone
 * surrogates), and the C1 controls and DEL that a terminal would act on when a client prints the text.
 */
const UNPRINTABLE =
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** The text with each unprintable character written as `\uXXXX`, so any XML parser reads the answer. */
export function printable(text: string): string {
  return text.replace(
    UNPRINTABLE,
    (char) => `\\u${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`,
  );
}

function normalize(value: XmlValue): unknown {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Date) return value.toISOString().replace('.000Z', 'Z');
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return printable(value);
  if (Array.isArray(value)) return value.map(normalize);
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    const normalized = normalize(member);
    if (normalized !== undefined) out[key] = normalized;
  }
  return out;
}
