import { randomBytes } from 'crypto';

export interface MultipartFile {
	data: Buffer;
	fileName: string;
	contentType: string;
}

/**
 * Encodes a multipart/form-data body (RFC 7578). Built by hand so the exact bytes are
 * known and the body can be sent through n8n's authenticated request helper as a Buffer.
 */
export function encodeMultipart(fields: Record<string, string | MultipartFile | undefined>): {
	body: Buffer;
	contentType: string;
} {
	const boundary = `----n8nBulkExport${randomBytes(12).toString('hex')}`;
	const parts: Buffer[] = [];
	for (const [name, value] of Object.entries(fields)) {
		if (value === undefined) continue;
		const disposition = `form-data; name="${quote(name)}"`;
		if (typeof value === 'string') {
			parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n\r\n${value}\r\n`));
		} else {
			parts.push(
				Buffer.from(
					`--${boundary}\r\nContent-Disposition: ${disposition}; filename="${quote(value.fileName)}"\r\n` +
						`Content-Type: ${value.contentType}\r\n\r\n`,
				),
				value.data,
				Buffer.from('\r\n'),
			);
		}
	}
	parts.push(Buffer.from(`--${boundary}--\r\n`));
	return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

function quote(text: string): string {
	return text.replace(/[\r\n"]/g, (c) => encodeURIComponent(c));
}
