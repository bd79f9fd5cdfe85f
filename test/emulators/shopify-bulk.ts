/**
 * Local emulator of Shopify Admin GraphQL **bulk query operations** and the signed file storage their
 * result URLs point to, for tests and demos.
 *
 * Behaviour follows Shopify's public documentation ("sd" below = shopify.dev), not any client code:
 *   - Perform bulk operations with the GraphQL Admin API (sd/docs/api/usage/bulk-operations/queries):
 *     one top-level connection field; nested connections become separate JSONL lines with `__parentId`;
 *     "In API versions 2026-01 and higher apps can run up to five bulk query operations at a time per
 *     shop", before that one bulk query at a time; a bulk query has to complete within 10 days, then it
 *     is stopped and marked failed.
 *   - bulkOperationRunQuery (sd/docs/api/admin-graphql/latest/mutations/bulkOperationRunQuery): returns
 *     BulkOperationRunQueryPayload {bulkOperation, userErrors}; "The query must include at least one
 *     connection field and supports up to five connections with a maximum nesting depth of two levels";
 *     `groupObjects` (default false) groups children directly under their parents; results remain
 *     available for seven days.
 *   - BulkOperation object: id, status, errorCode, createdAt, completedAt, objectCount, rootObjectCount,
 *     fileSize, url, partialDataUrl, query, type; `url` and `partialDataUrl` expire after seven days.
 *   - BulkOperationStatus: CANCELED, CANCELING, COMPLETED, CREATED, EXPIRED ("The bulk operation URL has
 *     expired"), FAILED, RUNNING. BulkOperationErrorCode: ACCESS_DENIED, INTERNAL_SERVER_ERROR, TIMEOUT.
 *     BulkOperationUserErrorCode: INVALID, LIMIT_REACHED, OPERATION_IN_PROGRESS.
 *   - currentBulkOperation(type: QUERY|MUTATION = QUERY): the app's most recent bulk operation;
 *     node(id:) … on BulkOperation; bulkOperation(id:) and bulkOperations from 2026-01 (changelog "New
 *     Queries for Bulk Operations"); bulkOperationCancel(id:) → CANCELING, then CANCELED.
 *   - GraphQL Admin API rate limits (sd/docs/apps/build/apis/graphql-admin/rate-limits): calculated
 *     query cost, a leaky bucket per app and store (Standard plan 100 points/second); every answer has
 *     `extensions.cost {requestedQueryCost, actualQueryCost, throttleStatus {maximumAvailable,
 *     currentlyAvailable, restoreRate}}`; when the bucket is short the answer is
 *     `errors: [{message: "Throttled", extensions: {code: "THROTTLED", documentation}}]` with
 *     actualQueryCost null (examples on community.shopify.com threads 8456 and 254776).
 *   - Auth: `X-Shopify-Access-Token`; POST /admin/api/{version}/graphql.json.
 * Two servers:
 *   - the shop's Admin API (`shopOrigin`, 127.0.0.1);
 *   - a pretend Google Cloud Storage (`storageOrigin`, host `localhost`) serving the JSONL behind V2
 *     signed URLs shaped like Shopify's real ones (`/shopify-tiers-assets-prod-us-east1/bulk-operation-
 *     outputs/<key>-final?GoogleAccessId=…&Expires=…&Signature=…&response-content-disposition=…`, seen in
 *     public client fixtures). Expired links answer GCS's 400 ExpiredToken XML (floci-io/floci-gcp#32/#33,
 *     fog/fog-google#264); a bad signature 403 SignatureDoesNotMatch. It refuses any request carrying the
 *     shop's access token or an Authorization header, so a client that leaks credentials fails loudly.
 * The bulk query language here is a subset: root connections `products` (with nested `variants`) and
 * `customers`; `edges { node { … } }` or `nodes { … }`; the `query:` search argument understands
 * `updated_at`, `created_at`, `status`, `id` and `title` terms.
 * [I] marks a choice made where the public documentation is silent.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type * as http from 'node:http';
import { gzipSync } from 'node:zlib';
import { createClock, type EmulatorClock } from './clock';
import {
	headerValue,
	logRequest,
	parseByteRange,
	parseContentType,
	readBody,
	runFromCommandLine,
	sendBytes,
	sendEmpty,
	sendJson,
	sendText,
	startApiAndStorage,
	type LoggedRequest,
} from './http';

// ---------------------------------------------------------------------------------------------
// Public API

export type ShopifyBulkStatus = 'CREATED' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELING' | 'CANCELED' | 'EXPIRED';
export type ShopifyBulkErrorCode = 'ACCESS_DENIED' | 'INTERNAL_SERVER_ERROR' | 'TIMEOUT';

export interface ShopifyVariant {
	id: string;
	title: string;
	sku: string | null;
	price: string;
	compareAtPrice: string | null;
	barcode: string | null;
	inventoryQuantity: number;
	position: number;
	availableForSale: boolean;
	createdAt: string;
	updatedAt: string;
	selectedOptions: Array<{ name: string; value: string }>;
}

export interface ShopifyProduct {
	id: string;
	title: string;
	handle: string;
	status: 'ACTIVE' | 'DRAFT' | 'ARCHIVED';
	vendor: string;
	productType: string;
	tags: string[];
	descriptionHtml: string;
	createdAt: string;
	updatedAt: string;
	publishedAt: string | null;
	variants: ShopifyVariant[];
}

export interface ShopifyCustomer {
	id: string;
	firstName: string | null;
	lastName: string | null;
	email: string | null;
	phone: string | null;
	state: 'ENABLED' | 'DISABLED' | 'INVITED' | 'DECLINED';
	tags: string[];
	numberOfOrders: string;
	amountSpent: { amount: string; currencyCode: string };
	createdAt: string;
	updatedAt: string;
}

export interface ShopifyGenerateOptions {
	/** updatedAt spread evenly over [since, until] (default: the last 30 days). */
	since?: Date;
	until?: Date;
	/** Variants per product (default 3; products only). */
	variantsPerProduct?: number;
}

export interface ShopifyData {
	/** Replaces all products with `count` deterministic ones (ids gid://shopify/Product/…, variants gid://shopify/ProductVariant/…). */
	generateProducts(count: number, options?: ShopifyGenerateOptions): void;
	generateCustomers(count: number, options?: ShopifyGenerateOptions): void;
	/** Creates or updates a product by id (merged onto realistic defaults; `variants` replaces the list when given). */
	upsertProduct(product: Partial<ShopifyProduct>): ShopifyProduct;
	upsertCustomer(customer: Partial<ShopifyCustomer>): ShopifyCustomer;
	products(): ShopifyProduct[];
	customers(): ShopifyCustomer[];
	clear(): void;
}

export interface ShopifyBulkFaults {
	/** The next `count` API requests answer HTTP 429 with Retry-After seconds (default 2) [I: the REST Admin API's documented answer; GraphQL throttles with THROTTLED]. */
	rateLimit(count: number, retryAfterSeconds?: number): void;
	/** The next `count` GraphQL requests answer the documented THROTTLED error (bucket unchanged). */
	throttle(count: number): void;
	/** The next `count` API requests answer `status` (default 500). */
	serverError(count: number, status?: number): void;
	/** The next bulk query ends FAILED with this errorCode (default INTERNAL_SERVER_ERROR); `partial` gives it a partialDataUrl with the first half of the lines. */
	failJob(errorCode?: ShopifyBulkErrorCode, options?: { partial?: boolean }): void;
	/** The next bulk query answers `polls` status queries with CREATED/RUNNING before its final state. */
	pollsUntilDone(polls: number): void;
	/** The next bulk query stays RUNNING (until the 10-day limit fails it with TIMEOUT). */
	neverFinish(): void;
	/** The next `count` file downloads announce the full Content-Length, then drop the connection after `atBytes` (default: half). */
	truncateDownload(count: number, atBytes?: number): void;
	/** The next `count` file downloads answer as an expired signed URL does (400 ExpiredToken). */
	expireUrls(count: number): void;
	reset(): void;
}

export interface ShopifyBulkOperationRecord {
	/** gid://shopify/BulkOperation/<n> */
	id: string;
	status: ShopifyBulkStatus;
	errorCode: ShopifyBulkErrorCode | null;
	query: string;
	apiVersion: string;
	groupObjects: boolean;
	createdAt: Date;
	completedAt: Date | null;
	/** Status queries that returned it so far. */
	polls: number;
	objectCount: number;
	rootObjectCount: number;
	/** Storage path of the result / partial file, once written. */
	filePath: string | null;
	partialFilePath: string | null;
}

export interface ShopifyLoggedRequest extends LoggedRequest<'api' | 'storage'> {
	/** API requests: the body as received. */
	body?: string;
	/** Storage requests refused for carrying credentials: why. */
	refused?: string;
}

export interface ShopifyBulkEmulator {
	/** http://127.0.0.1:<port>: POST /admin/api/{version}/graphql.json */
	shopOrigin: string;
	/** http://localhost:<port>: the signed result files. */
	storageOrigin: string;
	/** `shopOrigin` + /admin/api/{apiVersion}/graphql.json */
	graphqlUrl: string;
	/** Send as X-Shopify-Access-Token. */
	accessToken: string;
	/** The version `graphqlUrl` uses (default 2025-10). */
	apiVersion: string;
	shopDomain: string;
	clock: EmulatorClock;
	data: ShopifyData;
	faults: ShopifyBulkFaults;
	readonly operations: ShopifyBulkOperationRecord[];
	/** Moves a finished operation past its 7 days: status EXPIRED, links dead. */
	expireOperation(id: string): void;
	/** The JSONL bytes of a COMPLETED operation (uncompressed). */
	operationFile(id: string): Buffer | undefined;
	requests: ShopifyLoggedRequest[];
	close(): Promise<void>;
}

export interface ShopifyBulkEmulatorOptions {
	port?: number;
	storagePort?: number;
	/** Version for `graphqlUrl` (every listed version is served). Default 2025-10. */
	apiVersion?: string;
	/** Status queries answered CREATED/RUNNING before the final state (default 2). */
	pollsUntilDone?: number;
	/** Time-driven mode: an operation completes this long after creation (emulator clock); polls then do not count. */
	completeAfterMs?: number;
	/** Leaky bucket, or false for none. Default {maximumAvailable: 2000, restoreRate: 100} (Standard plan, 100 points/second). */
	costLimits?: { maximumAvailable: number; restoreRate: number } | false;
	/** Store the JSONL gzip-compressed and serve it with Content-Encoding: gzip to clients that accept it (GCS transcoding) [I: Shopify's storage settings are not documented]. Default false. */
	gzipDownloads?: boolean;
	/** Write `/` as `\/` in the JSONL as Shopify's output does (Shopify/shopify-api-ruby#729 sample). Default true. */
	escapeSlashes?: boolean;
	/** 12 products (3 variants each) and 8 customers with awkward values (default true). */
	seed?: boolean;
	frozenClock?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Constants

const SECOND = 1000;
const DAY = 24 * 3600 * SECOND;
const URL_LIFETIME_MS = 7 * DAY; // "url and partialDataUrl values expire after seven days"
const MAX_RUNTIME_MS = 10 * DAY; // "has to complete within 10 days"
const DEFAULT_POLLS_UNTIL_DONE = 2;
const BUCKET = 'shopify-tiers-assets-prod-us-east1';
const GOOGLE_ACCESS_ID = 'assets-us-prod@shopify-tiers.iam.gserviceaccount.com';
const SUPPORTED_VERSIONS = ['2024-10', '2025-01', '2025-04', '2025-07', '2025-10', '2026-01', '2026-04', '2026-07', '2026-10', 'unstable'];
const RATE_LIMIT_DOCS = 'https://shopify.dev/api/usage/rate-limits';
const MUTATION_COST = 10; // [I] the documented rule of thumb: a mutation costs 10 points.

// ---------------------------------------------------------------------------------------------
// Data

const PRODUCT_NAMES = ['Snowboard', 'Ski Wax', 'Beanie "Classic"', 'Gloves, Insulated', 'Goggles – Mirror', 'Café Mug ☕', 'Jacket\nLimited', 'T-Shirt 日本', 'Socks (3 pack)', 'Helmet'];
const VENDORS = ['Emulator Supply', 'Hydrogen Vendor', 'Snowdevil', 'Zürich Goods'];
const TYPES = ['Outdoor', 'Apparel', 'Accessories', ''];
const SIZES = ['S', 'M', 'L', 'XL', 'XXL'];
const FIRST = ['Ayumi', 'Russell', 'Karine', 'Zoë', 'José', "Conor", 'Łucja', 'Bob'];
const LAST = ['Hirano', 'Winfield', 'Ruby', 'García', "O'Neil", 'Nguyen', 'Kowalska', 'Smith'];

function isoSeconds(ms: number): string {
	return new Date(Math.floor(ms / SECOND) * SECOND).toISOString().replace('.000Z', 'Z');
}

function generatedProduct(n: number, createdMs: number, updatedMs: number, variantsPerProduct: number): ShopifyProduct {
	const base = PRODUCT_NAMES[n % PRODUCT_NAMES.length];
	const title = n < PRODUCT_NAMES.length ? base : `${base} ${Math.floor(n / PRODUCT_NAMES.length) + 1}`;
	const productId = 7_000_000_000_000 + n * 7;
	const variants: ShopifyVariant[] = [];
	for (let v = 0; v < variantsPerProduct; v++) {
		const size = SIZES[v % SIZES.length];
		variants.push({
			id: `gid://shopify/ProductVariant/${40_000_000_000_000 + n * 97 + v}`,
			title: size,
			sku: n % 5 === 4 ? null : `SKU-${String(n).padStart(5, '0')}-${size}`,
			price: (9.99 + ((n * 13 + v * 5) % 200)).toFixed(2),
			compareAtPrice: v === 0 && n % 3 === 0 ? (29.99 + (n % 50)).toFixed(2) : null,
			barcode: n % 4 === 0 ? null : String(4_006_381_333_931 + n * 10 + v),
			inventoryQuantity: ((n * 31 + v * 7) % 120) - 10,
			position: v + 1,
			availableForSale: (n + v) % 9 !== 0,
			createdAt: isoSeconds(createdMs),
			updatedAt: isoSeconds(updatedMs),
			selectedOptions: [{ name: 'Size', value: size }],
		});
	}
	return {
		id: `gid://shopify/Product/${productId}`,
		title,
		handle: title.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || `product-${n}`,
		status: n % 7 === 6 ? 'DRAFT' : n % 11 === 10 ? 'ARCHIVED' : 'ACTIVE',
		vendor: VENDORS[n % VENDORS.length],
		productType: TYPES[n % TYPES.length],
		tags: n % 3 === 0 ? ['winter', 'sale'] : n % 3 === 1 ? ['new'] : [],
		descriptionHtml: n % 4 === 1 ? '<p>Warm &amp; "cosy"<br>second line</p>' : `<p>Product ${n}</p>`,
		createdAt: isoSeconds(createdMs),
		updatedAt: isoSeconds(updatedMs),
		publishedAt: n % 7 === 6 ? null : isoSeconds(createdMs),
		variants,
	};
}

function generatedCustomer(n: number, createdMs: number, updatedMs: number): ShopifyCustomer {
	const first = FIRST[n % FIRST.length];
	const last = LAST[Math.floor(n / FIRST.length) % LAST.length];
	return {
		id: `gid://shopify/Customer/${6_000_000_000_000 + n * 11}`,
		firstName: n % 13 === 12 ? null : first,
		lastName: last,
		email: n % 9 === 8 ? null : `${first}.${last}.${n}@example.com`.toLowerCase().replace(/[^a-z0-9.@]/g, ''),
		phone: n % 3 === 0 ? `+1613555${String(n % 10000).padStart(4, '0')}` : null,
		state: n % 5 === 4 ? 'INVITED' : n % 17 === 16 ? 'DISABLED' : 'ENABLED',
		tags: n % 4 === 0 ? ['VIP'] : [],
		numberOfOrders: String(n % 12),
		amountSpent: { amount: ((n * 37.5) % 900).toFixed(2), currencyCode: 'USD' },
		createdAt: isoSeconds(createdMs),
		updatedAt: isoSeconds(updatedMs),
	};
}

class DataStore implements ShopifyData {
	private productList: ShopifyProduct[] = [];
	private customerList: ShopifyCustomer[] = [];
	private nextProduct = 0;
	private nextCustomer = 0;

	constructor(private readonly clock: EmulatorClock) {}

	private spread(count: number, options: ShopifyGenerateOptions, make: (n: number, createdMs: number, updatedMs: number) => void): void {
		if (!Number.isInteger(count) || count < 0 || count > 1_000_000) throw new Error('generate: count must be an integer from 0 to 1,000,000');
		const untilMs = (options.until ?? this.clock.now()).getTime();
		const sinceMs = (options.since ?? new Date(untilMs - 30 * DAY)).getTime();
		for (let n = 0; n < count; n++) {
			const updatedMs = sinceMs + ((untilMs - sinceMs) * (n + 1)) / Math.max(1, count);
			make(n, updatedMs - (n % 20) * DAY, updatedMs);
		}
	}

	generateProducts(count: number, options: ShopifyGenerateOptions = {}): void {
		const variants = options.variantsPerProduct ?? 3;
		const list: ShopifyProduct[] = [];
		this.spread(count, options, (n, c, u) => list.push(generatedProduct(n, c, u, variants)));
		this.productList = list;
		this.nextProduct = count;
	}

	generateCustomers(count: number, options: ShopifyGenerateOptions = {}): void {
		const list: ShopifyCustomer[] = [];
		this.spread(count, options, (n, c, u) => list.push(generatedCustomer(n, c, u)));
		this.customerList = list;
		this.nextCustomer = count;
	}

	upsertProduct(input: Partial<ShopifyProduct>): ShopifyProduct {
		const now = this.clock.now().getTime();
		const index = input.id ? this.productList.findIndex((product) => product.id === input.id) : -1;
		const base = index >= 0 ? this.productList[index] : { ...generatedProduct(this.nextProduct++, now, now, 3), ...(input.id ? { id: input.id } : {}) };
		const merged: ShopifyProduct = structuredClone({ ...base, ...definedOnly(input), updatedAt: input.updatedAt ?? isoSeconds(now) });
		if (index >= 0) this.productList[index] = merged;
		else this.productList.push(merged);
		return structuredClone(merged);
	}

	upsertCustomer(input: Partial<ShopifyCustomer>): ShopifyCustomer {
		const now = this.clock.now().getTime();
		const index = input.id ? this.customerList.findIndex((customer) => customer.id === input.id) : -1;
		const base = index >= 0 ? this.customerList[index] : { ...generatedCustomer(this.nextCustomer++, now, now), ...(input.id ? { id: input.id } : {}) };
		const merged: ShopifyCustomer = structuredClone({ ...base, ...definedOnly(input), updatedAt: input.updatedAt ?? isoSeconds(now) });
		if (index >= 0) this.customerList[index] = merged;
		else this.customerList.push(merged);
		return structuredClone(merged);
	}

	products(): ShopifyProduct[] {
		return structuredClone(this.sortedProducts());
	}

	customers(): ShopifyCustomer[] {
		return structuredClone(this.sortedCustomers());
	}

	clear(): void {
		this.productList = [];
		this.customerList = [];
	}

	/** By numeric id, the order of a connection without sortKey [I]. Not copied. */
	sortedProducts(): ShopifyProduct[] {
		return [...this.productList].sort((a, b) => gidNumber(a.id) - gidNumber(b.id));
	}

	sortedCustomers(): ShopifyCustomer[] {
		return [...this.customerList].sort((a, b) => gidNumber(a.id) - gidNumber(b.id));
	}
}

function definedOnly<T extends object>(input: T): Partial<T> {
	return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function gidNumber(gid: string): number {
	const match = /\/(\d+)$/.exec(gid);
	return match ? Number(match[1]) : 0;
}

function seedData(store: DataStore): void {
	store.generateProducts(12);
	store.generateCustomers(8);
}

// ---------------------------------------------------------------------------------------------
// GraphQL: a small parser for executable documents (the subset clients send).

interface Location {
	line: number;
	column: number;
}

class GraphQLSyntaxError extends Error {
	constructor(
		message: string,
		readonly location: Location,
	) {
		super(message);
	}
}

type ValueNode =
	| { kind: 'Variable'; name: string }
	| { kind: 'Int' | 'Float'; value: number }
	| { kind: 'String'; value: string }
	| { kind: 'Boolean'; value: boolean }
	| { kind: 'Null' }
	| { kind: 'Enum'; value: string }
	| { kind: 'List'; values: ValueNode[] }
	| { kind: 'Object'; fields: Record<string, ValueNode> };

interface FieldNode {
	kind: 'Field';
	alias?: string;
	name: string;
	args: Record<string, ValueNode>;
	selections: SelectionNode[];
	location: Location;
}

interface InlineFragmentNode {
	kind: 'InlineFragment';
	typeCondition?: string;
	selections: SelectionNode[];
}

interface FragmentSpreadNode {
	kind: 'FragmentSpread';
	name: string;
	location: Location;
}

type SelectionNode = FieldNode | InlineFragmentNode | FragmentSpreadNode;

interface OperationNode {
	operation: 'query' | 'mutation' | 'subscription';
	name?: string;
	variables: Array<{ name: string; defaultValue?: ValueNode }>;
	selections: SelectionNode[];
}

interface DocumentNode {
	operations: OperationNode[];
	fragments: Map<string, { typeCondition: string; selections: SelectionNode[] }>;
}

type Token = { kind: 'punct' | 'name' | 'int' | 'float' | 'string' | 'spread' | 'eof'; value: string; location: Location };

function tokenize(source: string): Token[] {
	const tokens: Token[] = [];
	let i = 0;
	let line = 1;
	let lineStart = 0;
	const loc = (at: number): Location => ({ line, column: at - lineStart + 1 });
	while (i < source.length) {
		const c = source[i];
		if (c === '\n') {
			i++;
			line++;
			lineStart = i;
			continue;
		}
		if (c === ' ' || c === '\t' || c === '\r' || c === ',' || c === '\uFEFF') {
			i++;
			continue;
		}
		if (c === '#') {
			while (i < source.length && source[i] !== '\n') i++;
			continue;
		}
		const start = i;
		if ('{}()[]:=!$@|&'.includes(c)) {
			tokens.push({ kind: 'punct', value: c, location: loc(start) });
			i++;
			continue;
		}
		if (source.startsWith('...', i)) {
			tokens.push({ kind: 'spread', value: '...', location: loc(start) });
			i += 3;
			continue;
		}
		if (/[A-Za-z_]/.test(c)) {
			while (i < source.length && /[A-Za-z0-9_]/.test(source[i])) i++;
			tokens.push({ kind: 'name', value: source.slice(start, i), location: loc(start) });
			continue;
		}
		if (/[-0-9]/.test(c)) {
			const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(source.slice(i));
			if (!match) throw new GraphQLSyntaxError(`syntax error, unexpected invalid token ("${c}")`, loc(start));
			i += match[0].length;
			tokens.push({ kind: match[2] || match[3] ? 'float' : 'int', value: match[0], location: loc(start) });
			continue;
		}
		if (source.startsWith('"""', i)) {
			const end = source.indexOf('"""', i + 3);
			if (end < 0) throw new GraphQLSyntaxError('syntax error, unterminated string', loc(start));
			const raw = source.slice(i + 3, end);
			for (const ch of raw) if (ch === '\n') line++;
			if (raw.includes('\n')) lineStart = source.lastIndexOf('\n', end) + 1;
			i = end + 3;
			tokens.push({ kind: 'string', value: blockStringValue(raw.replace(/\\"""/g, '"""')), location: loc(start) });
			continue;
		}
		if (c === '"') {
			let value = '';
			i++;
			for (;;) {
				if (i >= source.length || source[i] === '\n') throw new GraphQLSyntaxError('syntax error, unterminated string', loc(start));
				const ch = source[i];
				if (ch === '"') {
					i++;
					break;
				}
				if (ch === '\\') {
					const next = source[i + 1];
					const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
					if (next in simple) {
						value += simple[next];
						i += 2;
						continue;
					}
					if (next === 'u') {
						value += String.fromCharCode(parseInt(source.slice(i + 2, i + 6), 16));
						i += 6;
						continue;
					}
					throw new GraphQLSyntaxError(`syntax error, bad escape \\${next}`, loc(i));
				}
				value += ch;
				i++;
			}
			tokens.push({ kind: 'string', value, location: loc(start) });
			continue;
		}
		throw new GraphQLSyntaxError(`syntax error, unexpected invalid token ("${c}")`, loc(start));
	}
	tokens.push({ kind: 'eof', value: '', location: loc(i) });
	return tokens;
}

/** The GraphQL spec's BlockStringValue: common indentation and blank first/last lines removed. */
function blockStringValue(raw: string): string {
	const lines = raw.split(/\r\n|\n|\r/);
	let common: number | undefined;
	for (const text of lines.slice(1)) {
		const indent = text.length - text.trimStart().length;
		if (indent < text.length && (common === undefined || indent < common)) common = indent;
	}
	const out = lines.map((text, index) => (index > 0 && common ? text.slice(common) : text));
	while (out.length > 0 && out[0].trim() === '') out.shift();
	while (out.length > 0 && out[out.length - 1].trim() === '') out.pop();
	return out.join('\n');
}

class Parser {
	private position = 0;

	constructor(private readonly tokens: Token[]) {}

	private peek(): Token {
		return this.tokens[this.position];
	}

	private next(): Token {
		return this.tokens[this.position++];
	}

	private unexpected(token: Token): GraphQLSyntaxError {
		return new GraphQLSyntaxError(token.kind === 'eof' ? 'syntax error, unexpected end of file' : `syntax error, unexpected ${token.kind === 'name' ? 'IDENTIFIER' : token.kind.toUpperCase()} ("${token.value}")`, token.location);
	}

	private expectPunct(value: string): Token {
		const token = this.next();
		if (token.kind !== 'punct' || token.value !== value) throw this.unexpected(token);
		return token;
	}

	private expectName(): string {
		const token = this.next();
		if (token.kind !== 'name') throw this.unexpected(token);
		return token.value;
	}

	private isPunct(value: string): boolean {
		const token = this.peek();
		return token.kind === 'punct' && token.value === value;
	}

	document(): DocumentNode {
		const doc: DocumentNode = { operations: [], fragments: new Map() };
		while (this.peek().kind !== 'eof') {
			const token = this.peek();
			if (token.kind === 'punct' && token.value === '{') {
				doc.operations.push({ operation: 'query', variables: [], selections: this.selectionSet() });
				continue;
			}
			if (token.kind !== 'name') throw this.unexpected(token);
			if (token.value === 'fragment') {
				this.next();
				const name = this.expectName();
				if (this.expectName() !== 'on') throw this.unexpected(this.tokens[this.position - 1]);
				const typeCondition = this.expectName();
				this.directives();
				doc.fragments.set(name, { typeCondition, selections: this.selectionSet() });
				continue;
			}
			if (token.value !== 'query' && token.value !== 'mutation' && token.value !== 'subscription') throw this.unexpected(token);
			this.next();
			const operation: OperationNode = { operation: token.value, variables: [], selections: [] };
			if (this.peek().kind === 'name') operation.name = this.expectName();
			if (this.isPunct('(')) {
				this.next();
				while (!this.isPunct(')')) {
					this.expectPunct('$');
					const name = this.expectName();
					this.expectPunct(':');
					this.typeReference();
					let defaultValue: ValueNode | undefined;
					if (this.isPunct('=')) {
						this.next();
						defaultValue = this.value(true);
					}
					this.directives();
					operation.variables.push({ name, defaultValue });
				}
				this.next();
			}
			this.directives();
			operation.selections = this.selectionSet();
			doc.operations.push(operation);
		}
		return doc;
	}

	private typeReference(): void {
		if (this.isPunct('[')) {
			this.next();
			this.typeReference();
			this.expectPunct(']');
		} else this.expectName();
		if (this.isPunct('!')) this.next();
	}

	private directives(): void {
		while (this.isPunct('@')) {
			this.next();
			this.expectName();
			if (this.isPunct('(')) this.arguments();
		}
	}

	selectionSet(): SelectionNode[] {
		this.expectPunct('{');
		const selections: SelectionNode[] = [];
		while (!this.isPunct('}')) {
			if (this.peek().kind === 'eof') throw this.unexpected(this.peek());
			if (this.peek().kind === 'spread') {
				const spread = this.next();
				if (this.peek().kind === 'name' && this.peek().value === 'on') {
					this.next();
					const typeCondition = this.expectName();
					this.directives();
					selections.push({ kind: 'InlineFragment', typeCondition, selections: this.selectionSet() });
				} else if (this.peek().kind === 'name') {
					selections.push({ kind: 'FragmentSpread', name: this.expectName(), location: spread.location });
					this.directives();
				} else {
					this.directives();
					selections.push({ kind: 'InlineFragment', selections: this.selectionSet() });
				}
				continue;
			}
			const location = this.peek().location;
			let name = this.expectName();
			let alias: string | undefined;
			if (this.isPunct(':')) {
				this.next();
				alias = name;
				name = this.expectName();
			}
			const args = this.isPunct('(') ? this.arguments() : {};
			this.directives();
			const sub = this.isPunct('{') ? this.selectionSet() : [];
			selections.push({ kind: 'Field', alias, name, args, selections: sub, location });
		}
		this.next();
		return selections;
	}

	private arguments(): Record<string, ValueNode> {
		this.expectPunct('(');
		const args: Record<string, ValueNode> = {};
		while (!this.isPunct(')')) {
			const name = this.expectName();
			this.expectPunct(':');
			args[name] = this.value(false);
		}
		this.next();
		return args;
	}

	private value(constant: boolean): ValueNode {
		const token = this.next();
		if (token.kind === 'punct' && token.value === '$' && !constant) return { kind: 'Variable', name: this.expectName() };
		if (token.kind === 'int') return { kind: 'Int', value: Number(token.value) };
		if (token.kind === 'float') return { kind: 'Float', value: Number(token.value) };
		if (token.kind === 'string') return { kind: 'String', value: token.value };
		if (token.kind === 'name') {
			if (token.value === 'true' || token.value === 'false') return { kind: 'Boolean', value: token.value === 'true' };
			if (token.value === 'null') return { kind: 'Null' };
			return { kind: 'Enum', value: token.value };
		}
		if (token.kind === 'punct' && token.value === '[') {
			const values: ValueNode[] = [];
			while (!this.isPunct(']')) values.push(this.value(constant));
			this.next();
			return { kind: 'List', values };
		}
		if (token.kind === 'punct' && token.value === '{') {
			const fields: Record<string, ValueNode> = {};
			while (!this.isPunct('}')) {
				const name = this.expectName();
				this.expectPunct(':');
				fields[name] = this.value(constant);
			}
			this.next();
			return { kind: 'Object', fields };
		}
		throw this.unexpected(token);
	}
}

function parseGraphQL(source: string): DocumentNode {
	return new Parser(tokenize(source)).document();
}

function valueOf(node: ValueNode, variables: Record<string, unknown>): unknown {
	switch (node.kind) {
		case 'Variable':
			return variables[node.name] ?? null;
		case 'Int':
		case 'Float':
		case 'String':
		case 'Boolean':
		case 'Enum':
			return node.value;
		case 'Null':
			return null;
		case 'List':
			return node.values.map((item) => valueOf(item, variables));
		case 'Object':
			return Object.fromEntries(Object.entries(node.fields).map(([key, item]) => [key, valueOf(item, variables)]));
	}
}

/** Fields of a selection set for an object of `typeName`, inline fragments and fragment spreads flattened. */
function collectFields(selections: SelectionNode[], typeName: string, doc: DocumentNode, interfaces: string[] = []): FieldNode[] {
	const fields: FieldNode[] = [];
	for (const selection of selections) {
		if (selection.kind === 'Field') fields.push(selection);
		else if (selection.kind === 'InlineFragment') {
			if (!selection.typeCondition || selection.typeCondition === typeName || interfaces.includes(selection.typeCondition)) fields.push(...collectFields(selection.selections, typeName, doc, interfaces));
		} else {
			const fragment = doc.fragments.get(selection.name);
			if (!fragment) throw new GraphQLExecutionError(`Fragment ${selection.name} was used, but not defined`, selection.location, { code: 'useAndDefineFragment', fragmentName: selection.name });
			if (fragment.typeCondition === typeName || interfaces.includes(fragment.typeCondition)) fields.push(...collectFields(fragment.selections, typeName, doc, interfaces));
		}
	}
	return fields;
}

/** A GraphQL error: HTTP 200 with `errors` (the usual GraphQL answer). */
class GraphQLExecutionError extends Error {
	constructor(
		message: string,
		readonly location?: Location,
		readonly extensions?: Record<string, unknown>,
	) {
		super(message);
	}
}

function undefinedField(field: FieldNode, typeName: string): GraphQLExecutionError {
	return new GraphQLExecutionError(`Field '${field.name}' doesn't exist on type '${typeName}'`, field.location, { code: 'undefinedField', typeName, fieldName: field.name });
}

// ---------------------------------------------------------------------------------------------
// Bulk query compilation: the inner query of bulkOperationRunQuery.

type ObjectTypeName = 'Product' | 'ProductVariant' | 'Customer' | 'MoneyV2' | 'SelectedOption' | 'ProductPriceRangeV2';

interface TypeField {
	/** 'scalar' values are copied; 'object' ones take a sub-selection; 'connection' ones become JSONL lines. */
	kind: 'scalar' | 'object' | 'connection';
	type?: ObjectTypeName;
	read(source: any): unknown;
}

const SCALAR = (read: (source: any) => unknown): TypeField => ({ kind: 'scalar', read });
const OBJECT = (type: ObjectTypeName, read: (source: any) => unknown): TypeField => ({ kind: 'object', type, read });

function legacyId(gid: string): string {
	return String(gidNumber(gid));
}

const TYPES_SCHEMA: Record<ObjectTypeName, Record<string, TypeField>> = {
	Product: {
		id: SCALAR((p: ShopifyProduct) => p.id),
		legacyResourceId: SCALAR((p: ShopifyProduct) => legacyId(p.id)),
		title: SCALAR((p: ShopifyProduct) => p.title),
		handle: SCALAR((p: ShopifyProduct) => p.handle),
		status: SCALAR((p: ShopifyProduct) => p.status),
		vendor: SCALAR((p: ShopifyProduct) => p.vendor),
		productType: SCALAR((p: ShopifyProduct) => p.productType),
		tags: SCALAR((p: ShopifyProduct) => p.tags),
		descriptionHtml: SCALAR((p: ShopifyProduct) => p.descriptionHtml),
		createdAt: SCALAR((p: ShopifyProduct) => p.createdAt),
		updatedAt: SCALAR((p: ShopifyProduct) => p.updatedAt),
		publishedAt: SCALAR((p: ShopifyProduct) => p.publishedAt),
		totalInventory: SCALAR((p: ShopifyProduct) => p.variants.reduce((sum, v) => sum + v.inventoryQuantity, 0)),
		priceRangeV2: OBJECT('ProductPriceRangeV2', (p: ShopifyProduct) => {
			const prices = p.variants.map((v) => Number(v.price));
			const money = (amount: number) => ({ amount: prices.length ? String(amount) : '0.0', currencyCode: 'USD' });
			return { minVariantPrice: money(prices.length ? Math.min(...prices) : 0), maxVariantPrice: money(prices.length ? Math.max(...prices) : 0) };
		}),
		variants: { kind: 'connection', type: 'ProductVariant', read: (p: ShopifyProduct) => p.variants },
	},
	ProductVariant: {
		id: SCALAR((v: ShopifyVariant) => v.id),
		legacyResourceId: SCALAR((v: ShopifyVariant) => legacyId(v.id)),
		title: SCALAR((v: ShopifyVariant) => v.title),
		sku: SCALAR((v: ShopifyVariant) => v.sku),
		price: SCALAR((v: ShopifyVariant) => v.price),
		compareAtPrice: SCALAR((v: ShopifyVariant) => v.compareAtPrice),
		barcode: SCALAR((v: ShopifyVariant) => v.barcode),
		inventoryQuantity: SCALAR((v: ShopifyVariant) => v.inventoryQuantity),
		position: SCALAR((v: ShopifyVariant) => v.position),
		availableForSale: SCALAR((v: ShopifyVariant) => v.availableForSale),
		createdAt: SCALAR((v: ShopifyVariant) => v.createdAt),
		updatedAt: SCALAR((v: ShopifyVariant) => v.updatedAt),
		selectedOptions: OBJECT('SelectedOption', (v: ShopifyVariant) => v.selectedOptions),
	},
	Customer: {
		id: SCALAR((c: ShopifyCustomer) => c.id),
		legacyResourceId: SCALAR((c: ShopifyCustomer) => legacyId(c.id)),
		firstName: SCALAR((c: ShopifyCustomer) => c.firstName),
		lastName: SCALAR((c: ShopifyCustomer) => c.lastName),
		displayName: SCALAR((c: ShopifyCustomer) => [c.firstName, c.lastName].filter(Boolean).join(' ') || (c.email ?? '')),
		email: SCALAR((c: ShopifyCustomer) => c.email),
		phone: SCALAR((c: ShopifyCustomer) => c.phone),
		state: SCALAR((c: ShopifyCustomer) => c.state),
		tags: SCALAR((c: ShopifyCustomer) => c.tags),
		numberOfOrders: SCALAR((c: ShopifyCustomer) => c.numberOfOrders),
		amountSpent: OBJECT('MoneyV2', (c: ShopifyCustomer) => c.amountSpent),
		createdAt: SCALAR((c: ShopifyCustomer) => c.createdAt),
		updatedAt: SCALAR((c: ShopifyCustomer) => c.updatedAt),
	},
	MoneyV2: { amount: SCALAR((m) => m.amount), currencyCode: SCALAR((m) => m.currencyCode) },
	SelectedOption: { name: SCALAR((o) => o.name), value: SCALAR((o) => o.value) },
	ProductPriceRangeV2: { minVariantPrice: OBJECT('MoneyV2', (r) => r.minVariantPrice), maxVariantPrice: OBJECT('MoneyV2', (r) => r.maxVariantPrice) },
};

const ROOT_CONNECTIONS: Record<string, { type: ObjectTypeName; read: (store: DataStore) => any[] }> = {
	products: { type: 'Product', read: (store) => store.sortedProducts() },
	customers: { type: 'Customer', read: (store) => store.sortedCustomers() },
};

/** A compiled node selection: what to copy, and which nested connections to emit as lines. */
interface NodePlan {
	type: ObjectTypeName;
	fields: Array<{ key: string; field: TypeField; sub?: ObjectPlan }>;
	connections: Array<{ field: TypeField; node: NodePlan }>;
	selectsId: boolean;
}

interface ObjectPlan {
	type: ObjectTypeName;
	fields: Array<{ key: string; field: TypeField; sub?: ObjectPlan }>;
}

interface BulkPlan {
	root: { read: (store: DataStore) => any[]; filter: (item: any) => boolean };
	node: NodePlan;
	connectionCount: number;
}

class BulkQueryError extends Error {}

function compileBulkQuery(query: string): BulkPlan {
	let doc: DocumentNode;
	try {
		doc = parseGraphQL(query);
	} catch (error) {
		if (error instanceof GraphQLSyntaxError) throw new BulkQueryError(`Invalid bulk query: ${error.message}`);
		throw error;
	}
	const operations = doc.operations;
	if (operations.length !== 1) throw new BulkQueryError('Invalid bulk query: the query must contain exactly one operation.');
	if (operations[0].operation !== 'query') throw new BulkQueryError('Invalid bulk query: only queries are supported; use bulkOperationRunMutation for mutations.');
	const top = collectFields(operations[0].selections, 'QueryRoot', doc).filter((field) => field.name !== '__typename');
	if (top.length !== 1) throw new BulkQueryError('Invalid bulk query: the query must select a single top-level field.');
	const rootField = top[0];
	const root = ROOT_CONNECTIONS[rootField.name];
	if (!root) {
		throw new BulkQueryError(rootField.name in { shop: 1, node: 1, product: 1 } ? 'Invalid bulk query: Bulk queries must contain at least one connection.' : `Invalid bulk query: Field '${rootField.name}' doesn't exist on type 'QueryRoot'`);
	}
	const counter = { connections: 1 };
	const node = compileConnection(rootField, root.type, doc, counter, 1);
	if (counter.connections > 5) throw new BulkQueryError(`Invalid bulk query: Bulk queries cannot contain more than 5 connections.`);
	const search = rootField.args.query?.kind === 'String' ? rootField.args.query.value : '';
	return { root: { read: root.read, filter: searchFilter(search) }, node, connectionCount: counter.connections };
}

function compileConnection(field: FieldNode, type: ObjectTypeName, doc: DocumentNode, counter: { connections: number }, depth: number): NodePlan {
	const inner = collectFields(field.selections, `${type}Connection`, doc);
	let nodeSelections: SelectionNode[] | undefined;
	for (const part of inner) {
		if (part.name === 'nodes') nodeSelections = part.selections;
		else if (part.name === 'edges') {
			const nodeField = collectFields(part.selections, `${type}Edge`, doc).find((f) => f.name === 'node');
			if (nodeField) nodeSelections = nodeField.selections;
		} else if (part.name !== 'pageInfo' && part.name !== '__typename') {
			throw new BulkQueryError(`Invalid bulk query: Field '${part.name}' doesn't exist on type '${type}Connection'`);
		}
	}
	if (!nodeSelections) throw new BulkQueryError(`Invalid bulk query: the connection '${field.name}' must select edges { node { … } } or nodes { … }.`);
	return compileNode(field.name, nodeSelections, type, doc, counter, depth);
}

function compileNode(connectionName: string, selections: SelectionNode[], type: ObjectTypeName, doc: DocumentNode, counter: { connections: number }, depth: number): NodePlan {
	const plan: NodePlan = { type, fields: [], connections: [], selectsId: false };
	for (const field of collectFields(selections, type, doc, ['Node'])) {
		if (field.name === '__typename') {
			plan.fields.push({ key: field.alias ?? '__typename', field: SCALAR(() => type) });
			continue;
		}
		const spec = TYPES_SCHEMA[type][field.name];
		if (!spec) throw new BulkQueryError(`Invalid bulk query: Field '${field.name}' doesn't exist on type '${type}'`);
		if (field.name === 'id') plan.selectsId = true;
		if (spec.kind === 'connection') {
			counter.connections++;
			if (depth >= 2) throw new BulkQueryError('Invalid bulk query: Bulk queries cannot contain connections with a nesting depth greater than 2.');
			plan.connections.push({ field: spec, node: compileConnection(field, spec.type as ObjectTypeName, doc, counter, depth + 1) });
			continue;
		}
		plan.fields.push({ key: field.alias ?? field.name, field: spec, sub: spec.kind === 'object' ? compileObject(field, spec.type as ObjectTypeName, doc) : undefined });
	}
	if (plan.connections.length > 0 && !plan.selectsId) {
		// Shopify's answer when a parent of a nested connection has no id [I: wording recalled, not verified].
		throw new BulkQueryError(`The parent 'node' field for a nested connection must select the 'id' field. Connection fields without 'id': ${connectionName}.`);
	}
	return plan;
}

function compileObject(field: FieldNode, type: ObjectTypeName, doc: DocumentNode): ObjectPlan {
	if (field.selections.length === 0) throw new BulkQueryError(`Invalid bulk query: Field must have selections (field '${field.name}' returns ${type} but has no selections.)`);
	const plan: ObjectPlan = { type, fields: [] };
	for (const sub of collectFields(field.selections, type, doc)) {
		if (sub.name === '__typename') {
			plan.fields.push({ key: sub.alias ?? '__typename', field: SCALAR(() => type) });
			continue;
		}
		const spec = TYPES_SCHEMA[type][sub.name];
		if (!spec || spec.kind === 'connection') throw new BulkQueryError(`Invalid bulk query: Field '${sub.name}' doesn't exist on type '${type}'`);
		plan.fields.push({ key: sub.alias ?? sub.name, field: spec, sub: spec.kind === 'object' ? compileObject(sub, spec.type as ObjectTypeName, doc) : undefined });
	}
	return plan;
}

function materialize(plan: { fields: ObjectPlan['fields'] }, source: any): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	for (const { key, field, sub } of plan.fields) {
		const value = field.read(source);
		if (sub && value !== null && value !== undefined) out[key] = Array.isArray(value) ? value.map((item) => materialize(sub, item)) : materialize(sub, value);
		else out[key] = value ?? null;
	}
	return out;
}

/** The search syntax subset: `updated_at:>2024-01-01T00:00:00Z status:active title:Snow*`. Unknown terms are ignored [I]. */
function searchFilter(search: string): (item: any) => boolean {
	const terms = search.match(/(\w+):(>=|<=|>|<)?("[^"]*"|'[^']*'|\S+)/g) ?? [];
	const tests: Array<(item: any) => boolean> = [];
	for (const term of terms) {
		const match = /^(\w+):(>=|<=|>|<)?("[^"]*"|'[^']*'|\S+)$/.exec(term);
		if (!match) continue;
		const [, key, op = '', rawValue] = match;
		const value = rawValue.replace(/^["']|["']$/g, '');
		const compare = (actual: string | number, expected: string | number) => {
			if (op === '>') return actual > expected;
			if (op === '>=') return actual >= expected;
			if (op === '<') return actual < expected;
			if (op === '<=') return actual <= expected;
			return actual === expected;
		};
		if (key === 'updated_at' || key === 'created_at') {
			const ms = Date.parse(value);
			if (Number.isNaN(ms)) continue;
			const field = key === 'updated_at' ? 'updatedAt' : 'createdAt';
			tests.push((item) => compare(Date.parse(item[field]), ms));
		} else if (key === 'status') {
			tests.push((item) => String(item.status ?? item.state).toLowerCase() === value.toLowerCase());
		} else if (key === 'id') {
			tests.push((item) => compare(gidNumber(item.id), Number(value)));
		} else if (key === 'title') {
			const pattern = new RegExp(`^${value.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
			tests.push((item) => typeof item.title === 'string' && pattern.test(item.title));
		}
	}
	return (item) => tests.every((test) => test(item));
}

/** The JSONL lines of a bulk query: each node a line, nested connection nodes as lines with __parentId. */
function runBulkQuery(store: DataStore, plan: BulkPlan, groupObjects: boolean): { lines: Array<Record<string, unknown>>; roots: number } {
	const lines: Array<Record<string, unknown>> = [];
	const roots = plan.root.read(store).filter(plan.root.filter);
	// Without groupObjects, children only come *after* their parent ("don't rely on order"): the
	// emulator writes them one parent later, so a client that assumes adjacency is caught [I].
	let pending: Array<Record<string, unknown>> = [];
	for (const item of roots) {
		lines.push(materialize(plan.node, item));
		const children: Array<Record<string, unknown>> = [];
		for (const { field, node } of plan.node.connections) {
			for (const child of field.read(item) as any[]) {
				children.push({ ...materialize(node, child), __parentId: item.id });
				for (const grand of node.connections) for (const g of grand.field.read(child) as any[]) children.push({ ...materialize(grand.node, g), __parentId: child.id });
			}
		}
		if (groupObjects) lines.push(...children);
		else {
			lines.push(...pending);
			pending = children;
		}
	}
	lines.push(...pending);
	return { lines, roots: roots.length };
}

// ---------------------------------------------------------------------------------------------
// Faults

interface OperationPlan {
	pollsUntilDone: number;
	neverFinish: boolean;
	fail?: { errorCode: ShopifyBulkErrorCode; partial: boolean };
}

interface FaultState extends ShopifyBulkFaults {
	takeApiFault(): { status: number; body: unknown; headers: Record<string, string> } | undefined;
	takeThrottle(): boolean;
	takePlan(defaultPolls: number): OperationPlan;
	takeExpiredUrl(): boolean;
	takeTruncation(size: number): number | undefined;
}

function createFaults(): FaultState {
	const fresh = () => ({
		rateLimit: { count: 0, retryAfter: 2 },
		throttle: 0,
		serverError: { count: 0, status: 500 },
		next: {} as Partial<OperationPlan>,
		expireUrls: 0,
		truncate: { count: 0, atBytes: undefined as number | undefined },
	});
	let state = fresh();
	return {
		rateLimit: (count, retryAfterSeconds = 2) => {
			state.rateLimit = { count, retryAfter: retryAfterSeconds };
		},
		throttle: (count) => {
			state.throttle = count;
		},
		serverError: (count, status = 500) => {
			state.serverError = { count, status };
		},
		failJob: (errorCode = 'INTERNAL_SERVER_ERROR', options = {}) => {
			state.next.fail = { errorCode, partial: options.partial === true };
		},
		pollsUntilDone: (polls) => {
			state.next.pollsUntilDone = polls;
		},
		neverFinish: () => {
			state.next.neverFinish = true;
		},
		truncateDownload: (count, atBytes) => {
			state.truncate = { count, atBytes };
		},
		expireUrls: (count) => {
			state.expireUrls = count;
		},
		reset: () => {
			state = fresh();
		},
		takeApiFault: (): { status: number; body: unknown; headers: Record<string, string> } | undefined => {
			if (state.rateLimit.count > 0) {
				state.rateLimit.count--;
				// The REST Admin API's 429 wording [I for GraphQL].
				return { status: 429, body: { errors: 'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.' }, headers: { 'Retry-After': `${state.rateLimit.retryAfter}.0` } };
			}
			if (state.serverError.count > 0) {
				state.serverError.count--;
				const status = state.serverError.status;
				return { status, body: { errors: status === 503 ? 'Service Unavailable' : 'Internal Server Error' }, headers: {} };
			}
			return undefined;
		},
		takeThrottle: () => state.throttle > 0 && state.throttle-- > 0,
		takePlan: (defaultPolls) => {
			const next = state.next;
			state.next = {};
			return { pollsUntilDone: next.pollsUntilDone ?? defaultPolls, neverFinish: next.neverFinish === true, fail: next.fail };
		},
		takeExpiredUrl: () => state.expireUrls > 0 && state.expireUrls-- > 0,
		takeTruncation: (size) => {
			if (state.truncate.count <= 0) return undefined;
			state.truncate.count--;
			return Math.min(state.truncate.atBytes ?? Math.floor(size / 2), size);
		},
	};
}

// ---------------------------------------------------------------------------------------------
// Operations and storage objects

interface StoredObject {
	/** The JSONL as written (uncompressed). */
	plain: Buffer;
	gzip?: Buffer;
	/** The operation it belongs to. */
	operationId: string;
	/** Link lifetime end (epoch ms, emulator clock). */
	expiresMs: number;
	createdMs: number;
	generation: string;
}

interface OperationRuntime {
	record: ShopifyBulkOperationRecord;
	plan: OperationPlan;
	bulk: BulkPlan;
	/** Signed URLs, fixed when the file is written [I]. */
	url: string | null;
	partialDataUrl: string | null;
	/** Lines counted while RUNNING (objectCount grows). */
	totalLines: number;
	totalRoots: number;
}

interface EmulatorState {
	clock: EmulatorClock;
	store: DataStore;
	faults: FaultState;
	operations: Map<string, OperationRuntime>;
	objects: Map<string, StoredObject>;
	requests: ShopifyLoggedRequest[];
	accessToken: string;
	storageOrigin: string;
	signingSecret: string;
	defaultPolls: number;
	completeAfterMs?: number;
	bucket: { maximumAvailable: number; restoreRate: number; available: number; atMs: number } | false;
	gzipDownloads: boolean;
	escapeSlashes: boolean;
	nextOperation: number;
}

const ACTIVE: ReadonlySet<ShopifyBulkStatus> = new Set(['CREATED', 'RUNNING', 'CANCELING']);

function writeObject(state: EmulatorState, runtime: OperationRuntime, lines: Array<Record<string, unknown>>, kind: 'final' | 'partial'): string {
	const text = lines.map((line) => `${state.escapeSlashes ? JSON.stringify(line).replace(/\//g, '\\/') : JSON.stringify(line)}\n`).join('');
	const plain = Buffer.from(text, 'utf8');
	const key = `bulk-operation-outputs/${randomBytes(15).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, 'x')}-${kind}`;
	const now = state.clock.now().getTime();
	state.objects.set(`/${BUCKET}/${key}`, {
		plain,
		gzip: state.gzipDownloads ? gzipSync(plain) : undefined,
		operationId: runtime.record.id,
		expiresMs: now + URL_LIFETIME_MS,
		createdMs: now,
		generation: String(now * 1000 + Math.floor(Math.random() * 1000)),
	});
	if (kind === 'final') runtime.record.filePath = `/${BUCKET}/${key}`;
	else runtime.record.partialFilePath = `/${BUCKET}/${key}`;
	return signedUrl(state, `/${BUCKET}/${key}`, Math.floor((now + URL_LIFETIME_MS) / SECOND), runtime.record.id);
}

function v2StringToSign(path: string, expires: number): string {
	return `GET\n\n\n${expires}\n${path}`;
}

function v2Signature(state: EmulatorState, path: string, expires: number): string {
	return createHmac('sha256', state.signingSecret).update(v2StringToSign(path, expires)).digest('base64');
}

function signedUrl(state: EmulatorState, path: string, expires: number, operationId: string): string {
	const fileName = `bulk-${gidNumber(operationId)}.jsonl`;
	const params = new URLSearchParams({
		GoogleAccessId: GOOGLE_ACCESS_ID,
		Expires: String(expires),
		Signature: v2Signature(state, path, expires),
		'response-content-disposition': `attachment; filename="${fileName}"; filename*=UTF-8''${fileName}`,
		'response-content-type': 'application/jsonl',
	});
	return `${state.storageOrigin}${path}?${params.toString()}`;
}

function complete(state: EmulatorState, runtime: OperationRuntime): void {
	const record = runtime.record;
	const now = state.clock.now();
	const { lines, roots } = runBulkQuery(state.store, runtime.bulk, record.groupObjects);
	if (runtime.plan.fail) {
		record.status = 'FAILED';
		record.errorCode = runtime.plan.fail.errorCode;
		record.completedAt = null;
		const half = lines.slice(0, Math.floor(lines.length / 2));
		record.objectCount = half.length;
		record.rootObjectCount = half.filter((line) => !('__parentId' in line)).length;
		if (runtime.plan.fail.partial && half.length > 0) runtime.partialDataUrl = writeObject(state, runtime, half, 'partial');
		return;
	}
	record.status = 'COMPLETED';
	record.completedAt = now;
	record.objectCount = lines.length;
	record.rootObjectCount = roots;
	// "url: null" for an operation with no results (the bulk operations guide).
	runtime.url = lines.length > 0 ? writeObject(state, runtime, lines, 'final') : null;
}

/** One status read: poll-driven (default) or time-driven (completeAfterMs). */
function advance(state: EmulatorState, runtime: OperationRuntime, countsAsPoll: boolean): void {
	const record = runtime.record;
	const now = state.clock.now().getTime();
	refreshExpiry(state, runtime);
	if (!ACTIVE.has(record.status)) return;
	if (countsAsPoll) record.polls++;
	if (record.status === 'CANCELING') {
		if (countsAsPoll) {
			record.status = 'CANCELED';
			record.completedAt = null;
		}
		return;
	}
	if (now - record.createdAt.getTime() >= MAX_RUNTIME_MS) {
		// "has to complete within 10 days. After that it will be stopped and marked as failed" [I: errorCode].
		record.status = 'FAILED';
		record.errorCode = 'TIMEOUT';
		return;
	}
	if (runtime.plan.neverFinish) {
		record.status = 'RUNNING';
		record.objectCount = Math.max(record.objectCount, Math.min(runtime.totalLines, record.polls));
		return;
	}
	let done: boolean;
	let fraction: number;
	if (state.completeAfterMs !== undefined) {
		const elapsed = now - record.createdAt.getTime();
		done = elapsed >= state.completeAfterMs;
		fraction = elapsed / state.completeAfterMs;
	} else {
		if (!countsAsPoll) return;
		done = record.polls > runtime.plan.pollsUntilDone;
		fraction = record.polls / (runtime.plan.pollsUntilDone + 1);
	}
	if (done) return complete(state, runtime);
	if (fraction > 0) {
		record.status = 'RUNNING';
		// A running count that grows with progress (objectCount "can be used to track operation progress").
		record.objectCount = Math.floor(runtime.totalLines * fraction);
		record.rootObjectCount = Math.floor(runtime.totalRoots * fraction);
	}
}

function refreshExpiry(state: EmulatorState, runtime: OperationRuntime): void {
	const record = runtime.record;
	const path = record.filePath ?? record.partialFilePath;
	const object = path ? state.objects.get(path) : undefined;
	if (object && object.expiresMs <= state.clock.now().getTime()) expire(state, runtime);
}

function expire(state: EmulatorState, runtime: OperationRuntime): void {
	const record = runtime.record;
	for (const path of [record.filePath, record.partialFilePath]) if (path) state.objects.delete(path);
	// EXPIRED: "The bulk operation URL has expired" [I: url and partialDataUrl then read null].
	record.status = 'EXPIRED';
	runtime.url = null;
	runtime.partialDataUrl = null;
	record.filePath = null;
	record.partialFilePath = null;
}

function operationJson(state: EmulatorState, runtime: OperationRuntime, fields: FieldNode[]): Record<string, unknown> {
	const record = runtime.record;
	const values: Record<string, unknown> = {
		__typename: 'BulkOperation',
		id: record.id,
		status: record.status,
		errorCode: record.errorCode,
		createdAt: isoSeconds(record.createdAt.getTime()),
		completedAt: record.completedAt ? isoSeconds(record.completedAt.getTime()) : null,
		// UnsignedInt64 is serialized as a string.
		objectCount: String(record.objectCount),
		rootObjectCount: String(record.rootObjectCount),
		fileSize: runtime.url && record.filePath ? String(state.objects.get(record.filePath)?.plain.length ?? 0) : null,
		url: runtime.url,
		partialDataUrl: runtime.partialDataUrl,
		query: record.query,
		type: 'QUERY',
	};
	const out: Record<string, unknown> = {};
	for (const field of fields) {
		if (!(field.name in values)) throw undefinedField(field, 'BulkOperation');
		out[field.alias ?? field.name] = values[field.name];
	}
	return out;
}

// ---------------------------------------------------------------------------------------------
// API server: POST /admin/api/{version}/graphql.json

interface GraphQLResult {
	data?: Record<string, unknown> | null;
	errors?: Array<Record<string, unknown>>;
	cost: number;
}

function versionAtLeast(version: string, minimum: string): boolean {
	return version === 'unstable' || version >= minimum;
}

/** Fails the request with errors and no data (a GraphQL "request error"). */
class RequestErrors extends Error {
	constructor(readonly errors: Array<Record<string, unknown>>) {
		super('GraphQL request errors');
	}
}

function locationsOf(location?: Location): Array<Location> | undefined {
	return location ? [location] : undefined;
}

function execute(state: EmulatorState, version: string, body: { query: string; variables: Record<string, unknown>; operationName?: string }): GraphQLResult {
	let doc: DocumentNode;
	try {
		doc = parseGraphQL(body.query);
	} catch (error) {
		if (error instanceof GraphQLSyntaxError) throw new RequestErrors([{ message: error.message, locations: [error.location] }]);
		throw error;
	}
	const candidates = body.operationName ? doc.operations.filter((op) => op.name === body.operationName) : doc.operations;
	if (candidates.length !== 1) {
		throw new RequestErrors([{ message: body.operationName ? `No operation named "${body.operationName}"` : 'An operation name is required when sending multiple operations.' }]);
	}
	const operation = candidates[0];
	const variables: Record<string, unknown> = {};
	for (const definition of operation.variables) {
		variables[definition.name] = definition.name in body.variables ? body.variables[definition.name] : definition.defaultValue ? valueOf(definition.defaultValue, {}) : null;
	}
	const rootType = operation.operation === 'mutation' ? 'Mutation' : 'QueryRoot';
	if (operation.operation === 'subscription') throw new RequestErrors([{ message: 'Subscriptions are not supported.' }]);
	const data: Record<string, unknown> = {};
	for (const field of collectFields(operation.selections, rootType, doc)) {
		const key = field.alias ?? field.name;
		const args = Object.fromEntries(Object.entries(field.args).map(([name, value]) => [name, valueOf(value, variables)]));
		try {
			data[key] = rootType === 'Mutation' ? resolveMutation(state, version, field, args, doc) : resolveQuery(state, version, field, args, doc);
		} catch (error) {
			if (!(error instanceof GraphQLExecutionError)) throw error;
			// Validation errors (unknown fields) fail the whole request, as graphql-ruby does [I].
			throw new RequestErrors([{ message: error.message, locations: locationsOf(error.location ?? field.location), path: [operation.operation === 'mutation' ? 'mutation' : 'query', key], extensions: error.extensions }]);
		}
	}
	return { data, cost: operation.operation === 'mutation' ? MUTATION_COST : 1 };
}

function resolveQuery(state: EmulatorState, version: string, field: FieldNode, args: Record<string, unknown>, doc: DocumentNode): unknown {
	switch (field.name) {
		case '__typename':
			return 'QueryRoot';
		case 'currentBulkOperation': {
			const type = args.type ?? 'QUERY';
			if (type === 'MUTATION') return null; // this emulator runs no bulk mutations
			const latest = Array.from(state.operations.values()).pop();
			if (!latest) return null;
			advance(state, latest, true);
			return operationJson(state, latest, collectFields(field.selections, 'BulkOperation', doc));
		}
		case 'node': {
			const runtime = typeof args.id === 'string' ? state.operations.get(args.id) : undefined;
			const fields = collectFields(field.selections, 'BulkOperation', doc, ['Node']);
			if (!runtime) {
				// Without the fragment only Node's fields may be asked for.
				for (const f of collectFields(field.selections, 'Node', doc)) if (f.name !== 'id' && f.name !== '__typename') throw undefinedField(f, 'Node');
				return null;
			}
			advance(state, runtime, true);
			return operationJson(state, runtime, fields);
		}
		case 'bulkOperation': {
			if (!versionAtLeast(version, '2026-01')) throw undefinedField(field, 'QueryRoot');
			const runtime = typeof args.id === 'string' ? state.operations.get(args.id) : undefined;
			if (!runtime) return null;
			advance(state, runtime, true);
			return operationJson(state, runtime, collectFields(field.selections, 'BulkOperation', doc));
		}
		case 'bulkOperations': {
			if (!versionAtLeast(version, '2026-01')) throw undefinedField(field, 'QueryRoot');
			const first = typeof args.first === 'number' ? args.first : 10;
			const list = Array.from(state.operations.values()).reverse().slice(0, first);
			const out: Record<string, unknown> = {};
			for (const part of collectFields(field.selections, 'BulkOperationConnection', doc)) {
				const key = part.alias ?? part.name;
				if (part.name === 'nodes') out[key] = list.map((runtime) => (advance(state, runtime, false), operationJson(state, runtime, collectFields(part.selections, 'BulkOperation', doc))));
				else if (part.name === 'edges') {
					const nodeField = collectFields(part.selections, 'BulkOperationEdge', doc).find((f) => f.name === 'node');
					out[key] = list.map((runtime) => ({ node: nodeField ? (advance(state, runtime, false), operationJson(state, runtime, collectFields(nodeField.selections, 'BulkOperation', doc))) : undefined }));
				} else if (part.name === 'pageInfo') out[key] = { hasNextPage: state.operations.size > first, hasPreviousPage: false };
				else throw undefinedField(part, 'BulkOperationConnection');
			}
			return out;
		}
		case 'shop': {
			const out: Record<string, unknown> = {};
			for (const part of collectFields(field.selections, 'Shop', doc)) {
				const values: Record<string, unknown> = { name: 'Emulator Shop', myshopifyDomain: 'emulator-shop.myshopify.com', currencyCode: 'USD', __typename: 'Shop' };
				if (!(part.name in values)) throw undefinedField(part, 'Shop');
				out[part.alias ?? part.name] = values[part.name];
			}
			return out;
		}
		default:
			throw undefinedField(field, 'QueryRoot');
	}
}

function resolveMutation(state: EmulatorState, version: string, field: FieldNode, args: Record<string, unknown>, doc: DocumentNode): unknown {
	if (field.name === '__typename') return 'Mutation';
	if (field.name === 'bulkOperationRunQuery') return runQueryMutation(state, version, field, args, doc);
	if (field.name === 'bulkOperationCancel') return cancelMutation(state, field, args, doc);
	throw undefinedField(field, 'Mutation');
}

function payload(state: EmulatorState, field: FieldNode, doc: DocumentNode, typeName: string, runtime: OperationRuntime | undefined, userErrors: Array<{ field: string[] | null; message: string; code?: string }>): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	for (const part of collectFields(field.selections, typeName, doc)) {
		const key = part.alias ?? part.name;
		if (part.name === 'bulkOperation') out[key] = runtime ? operationJson(state, runtime, collectFields(part.selections, 'BulkOperation', doc)) : null;
		else if (part.name === 'userErrors') {
			out[key] = userErrors.map((error) => {
				const item: Record<string, unknown> = {};
				for (const sub of collectFields(part.selections, 'BulkOperationUserError', doc)) {
					if (sub.name === 'field') item[sub.alias ?? 'field'] = error.field;
					else if (sub.name === 'message') item[sub.alias ?? 'message'] = error.message;
					else if (sub.name === 'code' && typeName === 'BulkOperationRunQueryPayload') item[sub.alias ?? 'code'] = error.code ?? null;
					else if (sub.name === '__typename') item[sub.alias ?? '__typename'] = 'BulkOperationUserError';
					else throw undefinedField(sub, typeName === 'BulkOperationRunQueryPayload' ? 'BulkOperationUserError' : 'UserError');
				}
				return item;
			});
		} else if (part.name === '__typename') out[key] = typeName;
		else throw undefinedField(part, typeName);
	}
	return out;
}

function runQueryMutation(state: EmulatorState, version: string, field: FieldNode, args: Record<string, unknown>, doc: DocumentNode): unknown {
	const typeName = 'BulkOperationRunQueryPayload';
	if (typeof args.query !== 'string') throw new GraphQLExecutionError("Field 'bulkOperationRunQuery' is missing required arguments: query", field.location, { code: 'missingRequiredArguments', className: 'Field', name: 'bulkOperationRunQuery', arguments: 'query' });
	for (const runtime of state.operations.values()) advance(state, runtime, false);
	const running = Array.from(state.operations.values()).filter((runtime) => ACTIVE.has(runtime.record.status));
	const limit = versionAtLeast(version, '2026-01') ? 5 : 1;
	if (running.length >= limit) {
		const error =
			limit === 1
				? { field: null, message: `A bulk query operation for this app and shop is already in progress: ${running[0].record.id}.`, code: 'OPERATION_IN_PROGRESS' }
				: { field: null, message: 'Bulk operations limit reached. Please try again later.', code: 'LIMIT_REACHED' }; // [I] which code from 2026-01
		return payload(state, field, doc, typeName, undefined, [error]);
	}
	let bulk: BulkPlan;
	try {
		bulk = compileBulkQuery(args.query);
	} catch (error) {
		if (error instanceof BulkQueryError) return payload(state, field, doc, typeName, undefined, [{ field: ['query'], message: error.message, code: 'INVALID' }]);
		throw error;
	}
	const id = `gid://shopify/BulkOperation/${state.nextOperation++}`;
	const now = state.clock.now();
	const record: ShopifyBulkOperationRecord = {
		id,
		status: 'CREATED',
		errorCode: null,
		query: args.query,
		apiVersion: version,
		groupObjects: args.groupObjects === true,
		createdAt: now,
		completedAt: null,
		polls: 0,
		objectCount: 0,
		rootObjectCount: 0,
		filePath: null,
		partialFilePath: null,
	};
	const preview = runBulkQuery(state.store, bulk, record.groupObjects);
	const runtime: OperationRuntime = { record, plan: state.faults.takePlan(state.defaultPolls), bulk, url: null, partialDataUrl: null, totalLines: preview.lines.length, totalRoots: preview.roots };
	state.operations.set(id, runtime);
	return payload(state, field, doc, typeName, runtime, []);
}

function cancelMutation(state: EmulatorState, field: FieldNode, args: Record<string, unknown>, doc: DocumentNode): unknown {
	const typeName = 'BulkOperationCancelPayload';
	const runtime = typeof args.id === 'string' ? state.operations.get(args.id) : undefined;
	if (!runtime) return payload(state, field, doc, typeName, undefined, [{ field: ['id'], message: 'Bulk operation does not exist' }]);
	advance(state, runtime, false);
	const status = runtime.record.status;
	if (status !== 'CREATED' && status !== 'RUNNING') {
		// [I] wording.
		return payload(state, field, doc, typeName, runtime, [{ field: null, message: `A bulk operation cannot be canceled when it is ${status.toLowerCase()}` }]);
	}
	runtime.record.status = 'CANCELING';
	return payload(state, field, doc, typeName, runtime, []);
}

function throttleStatus(state: EmulatorState): Record<string, number> | undefined {
	const bucket = state.bucket;
	if (!bucket) return undefined;
	return { maximumAvailable: bucket.maximumAvailable, currentlyAvailable: Math.floor(bucket.available), restoreRate: bucket.restoreRate };
}

/** Leaky bucket on the emulator clock; true when `cost` points could be taken. */
function takeFromBucket(state: EmulatorState, cost: number): boolean {
	const bucket = state.bucket;
	if (!bucket) return true;
	const now = state.clock.now().getTime();
	bucket.available = Math.min(bucket.maximumAvailable, bucket.available + ((now - bucket.atMs) / SECOND) * bucket.restoreRate);
	bucket.atMs = now;
	if (bucket.available < cost) return false;
	bucket.available -= cost;
	return true;
}

function costExtension(state: EmulatorState, requested: number, actual: number | null): Record<string, unknown> {
	const cost: Record<string, unknown> = { requestedQueryCost: requested, actualQueryCost: actual };
	const status = throttleStatus(state);
	if (status) cost.throttleStatus = status;
	return { cost };
}

const PATH = /^\/admin\/api\/([^/]+)\/graphql\.json$/;

async function handleApi(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
	const base = logRequest<'api' | 'storage'>([], 'api', req);
	const entry: ShopifyLoggedRequest = { ...base };
	state.requests.push(entry);
	const raw = await readBody(req, 8 * 1024 * 1024);
	entry.body = raw.toString('utf8');
	const fault = state.faults.takeApiFault();
	if (fault) return sendJson(res, fault.status, fault.body, { headers: fault.headers });
	const match = PATH.exec(base.path);
	if (!match || !SUPPORTED_VERSIONS.includes(match[1])) return sendJson(res, 404, { errors: 'Not Found' });
	const version = match[1];
	const common = { 'X-Shopify-API-Version': version, 'X-Request-Id': randomBytes(16).toString('hex') };
	if (req.method !== 'POST') return sendJson(res, 405, { errors: 'Method Not Allowed' }, { headers: { ...common, Allow: 'POST' } });
	if (headerValue(req, 'x-shopify-access-token') !== state.accessToken) {
		return sendJson(res, 401, { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' }, { headers: common });
	}
	const mediaType = parseContentType(headerValue(req, 'content-type')).mediaType;
	let body: { query: string; variables: Record<string, unknown>; operationName?: string };
	if (mediaType === 'application/graphql') body = { query: raw.toString('utf8'), variables: {} };
	else if (mediaType === 'application/json') {
		let parsed: unknown;
		try {
			parsed = JSON.parse(raw.toString('utf8'));
		} catch {
			return sendJson(res, 400, { errors: { query: 'Required parameter missing or invalid' } }, { headers: common });
		}
		const object = (parsed ?? {}) as Record<string, unknown>;
		if (typeof object.query !== 'string') return sendJson(res, 400, { errors: { query: 'Required parameter missing or invalid' } }, { headers: common });
		body = {
			query: object.query,
			variables: object.variables && typeof object.variables === 'object' ? (object.variables as Record<string, unknown>) : {},
			operationName: typeof object.operationName === 'string' ? object.operationName : undefined,
		};
	} else return sendJson(res, 415, { errors: 'Unsupported Media Type: send application/json or application/graphql.' }, { headers: common });
	const requestedCost = /^\s*mutation\b/.test(body.query) ? MUTATION_COST : 1;
	if (state.faults.takeThrottle() || !takeFromBucket(state, requestedCost)) {
		// Throttled answers are still HTTP 200 GraphQL responses [I: status code not documented].
		return sendJson(res, 200, { errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: RATE_LIMIT_DOCS } }], extensions: costExtension(state, requestedCost, null) }, { headers: common });
	}
	try {
		const result = execute(state, version, body);
		const answer: Record<string, unknown> = { data: result.data };
		if (result.errors) answer.errors = result.errors;
		answer.extensions = costExtension(state, result.cost, result.cost);
		return sendJson(res, 200, answer, { headers: common });
	} catch (error) {
		if (error instanceof RequestErrors) return sendJson(res, 200, { errors: error.errors, extensions: costExtension(state, requestedCost, 0) }, { headers: common });
		throw error;
	}
}

// ---------------------------------------------------------------------------------------------
// Storage server: a pretend GCS XML API with V2 signed URLs.

function gcsError(res: http.ServerResponse, status: number, code: string, message: string, details: string | undefined, headOnly: boolean): void {
	const xml = `<?xml version='1.0' encoding='UTF-8'?><Error><Code>${code}</Code><Message>${message}</Message>${details ? `<Details>${escapeXml(details)}</Details>` : ''}</Error>`;
	if (headOnly) return sendEmpty(res, status, { 'Content-Type': 'application/xml; charset=UTF-8' });
	sendText(res, status, xml, 'application/xml; charset=UTF-8', { 'X-GUploader-UploadID': randomBytes(12).toString('base64url') });
}

function escapeXml(text: string): string {
	return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The access token anywhere in the request, or any Authorization header: a leak to the file host. */
function leakedCredential(state: EmulatorState, req: http.IncomingMessage): string | undefined {
	if (headerValue(req, 'x-shopify-access-token') !== undefined) return 'an X-Shopify-Access-Token header';
	if (headerValue(req, 'authorization') !== undefined) return 'an Authorization header';
	const url = req.url ?? '';
	if (url.includes(state.accessToken)) return 'the access token in the URL';
	for (const [name, value] of Object.entries(req.headers)) {
		const values = Array.isArray(value) ? value : [value ?? ''];
		if (values.some((text) => text.includes(state.accessToken))) return `the access token in the ${name} header`;
	}
	return undefined;
}

function handleStorage(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse): void {
	const base = logRequest<'api' | 'storage'>([], 'storage', req);
	const entry: ShopifyLoggedRequest = { ...base };
	state.requests.push(entry);
	const method = req.method ?? 'GET';
	const headOnly = method === 'HEAD';
	const leak = leakedCredential(state, req);
	if (leak) {
		entry.refused = `request carries ${leak}`;
		return gcsError(res, 403, 'AccessDenied', 'Access denied.', `Emulator guard: the request carries ${leak}. The result URL is pre-signed: send no Shopify credentials to the file host.`, headOnly);
	}
	if (method !== 'GET' && !headOnly) return gcsError(res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', undefined, false);
	const [path, query = ''] = (req.url ?? '/').split('?');
	const params = new URLSearchParams(query);
	const expiresText = params.get('Expires');
	const signature = params.get('Signature');
	if (!params.get('GoogleAccessId') || !expiresText || !signature) {
		return gcsError(res, 403, 'AccessDenied', 'Access denied.', 'Anonymous caller does not have storage.objects.get access to the Google Cloud Storage object.', headOnly);
	}
	const expires = Number(expiresText);
	const nowSeconds = Math.floor(state.clock.now().getTime() / SECOND);
	if (state.faults.takeExpiredUrl() || !Number.isFinite(expires) || expires <= nowSeconds) {
		const at = new Date(Math.min(expires, nowSeconds) * SECOND).toISOString().replace('.000Z', '+00:00');
		return gcsError(res, 400, 'ExpiredToken', 'The provided token has expired.', `Request signature expired at: ${at}`, headOnly);
	}
	if (signature !== v2Signature(state, path, expires)) {
		return gcsError(res, 403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your Google secret key and signing method.', `<StringToSign>${v2StringToSign(path, expires)}</StringToSign>`, headOnly);
	}
	const object = state.objects.get(path);
	if (!object) return gcsError(res, 404, 'NoSuchKey', 'The specified key does not exist.', `No such object: ${path.slice(1)}`, headOnly);
	sendObject(state, req, res, object, params, headOnly);
}

function sendObject(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse, object: StoredObject, params: URLSearchParams, headOnly: boolean): void {
	const acceptsGzip = /(^|,)\s*gzip\s*(;\s*q=(?!0(\.0*)?\s*(,|$))[\d.]+)?\s*(,|$)/i.test(headerValue(req, 'accept-encoding') ?? '');
	// GCS stores gzip objects as is and decompresses ("transcodes") for clients that do not accept gzip.
	const compressed = object.gzip !== undefined && acceptsGzip;
	const body = compressed ? (object.gzip as Buffer) : object.plain;
	const stored = object.gzip ?? object.plain;
	const headers: Record<string, string> = {
		'Content-Type': params.get('response-content-type') ?? 'application/octet-stream',
		'Accept-Ranges': 'bytes',
		ETag: `"${createHash('md5').update(stored).digest('hex')}"`,
		'Last-Modified': new Date(object.createdMs).toUTCString(),
		Expires: new Date(state.clock.now().getTime()).toUTCString(),
		'Cache-Control': 'private, max-age=0',
		'x-goog-generation': object.generation,
		'x-goog-metageneration': '1',
		'x-goog-stored-content-encoding': object.gzip ? 'gzip' : 'identity',
		'x-goog-stored-content-length': String(stored.length),
		'x-goog-hash': `md5=${createHash('md5').update(stored).digest('base64')}`,
		'x-goog-storage-class': 'STANDARD',
		Server: 'UploadServer',
	};
	const disposition = params.get('response-content-disposition');
	if (disposition) headers['Content-Disposition'] = disposition;
	if (compressed) headers['Content-Encoding'] = 'gzip';
	else if (object.gzip) headers.Warning = '214 UploadServer gunzipped';
	const range = parseByteRange(headerValue(req, 'range'), body.length);
	if (range.kind === 'unsatisfiable') {
		return gcsError(res, 416, 'InvalidRange', 'The requested range cannot be satisfied.', `bytes=${headerValue(req, 'range') ?? ''}`, headOnly);
	}
	let status = 200;
	let sent = body;
	if (range.kind === 'range') {
		status = 206;
		sent = body.subarray(range.start, range.end + 1);
		headers['Content-Range'] = `bytes ${range.start}-${range.end}/${body.length}`;
	}
	const cutAfterBytes = headOnly ? undefined : state.faults.takeTruncation(sent.length);
	sendBytes(res, status, sent, headers, { headOnly, cutAfterBytes });
}

// ---------------------------------------------------------------------------------------------
// Start

export async function startShopifyBulkEmulator(options: ShopifyBulkEmulatorOptions = {}): Promise<ShopifyBulkEmulator> {
	const clock = createClock(options.frozenClock === true);
	const store = new DataStore(clock);
	if (options.seed !== false) seedData(store);
	const apiVersion = options.apiVersion ?? '2025-10';
	if (!SUPPORTED_VERSIONS.includes(apiVersion)) throw new Error(`apiVersion must be one of ${SUPPORTED_VERSIONS.join(', ')}`);
	const limits = options.costLimits === undefined ? { maximumAvailable: 2000, restoreRate: 100 } : options.costLimits;
	const state: EmulatorState = {
		clock,
		store,
		faults: createFaults(),
		operations: new Map(),
		objects: new Map(),
		requests: [],
		accessToken: `shpat_${randomBytes(16).toString('hex')}`,
		storageOrigin: '',
		signingSecret: randomBytes(32).toString('base64'),
		defaultPolls: options.pollsUntilDone ?? DEFAULT_POLLS_UNTIL_DONE,
		completeAfterMs: options.completeAfterMs,
		bucket: limits ? { ...limits, available: limits.maximumAvailable, atMs: clock.now().getTime() } : false,
		gzipDownloads: options.gzipDownloads === true,
		escapeSlashes: options.escapeSlashes !== false,
		nextOperation: 4_000_000_000_000 + Math.floor(Math.random() * 1_000_000) * 1000,
	};
	const servers = await startApiAndStorage(
		(req, res) => handleApi(state, req, res),
		(req, res) => handleStorage(state, req, res),
		options,
	);
	state.storageOrigin = servers.storageOrigin;
	const emulator: ShopifyBulkEmulator = {
		shopOrigin: servers.api.origin,
		storageOrigin: servers.storageOrigin,
		graphqlUrl: `${servers.api.origin}/admin/api/${apiVersion}/graphql.json`,
		accessToken: state.accessToken,
		apiVersion,
		shopDomain: 'emulator-shop.myshopify.com',
		clock,
		data: store,
		faults: state.faults,
		get operations() {
			for (const runtime of state.operations.values()) refreshExpiry(state, runtime);
			return Array.from(state.operations.values()).map((runtime) => runtime.record);
		},
		expireOperation: (id) => {
			const runtime = state.operations.get(id);
			if (!runtime) throw new Error(`expireOperation: no operation ${id}`);
			expire(state, runtime);
		},
		operationFile: (id) => {
			const runtime = state.operations.get(id);
			const path = runtime?.record.filePath;
			return path ? state.objects.get(path)?.plain : undefined;
		},
		requests: state.requests,
		close: async () => {
			await Promise.all([servers.api.close(), servers.storage.close()]);
		},
	};
	return emulator;
}

// `node --import tsx test/emulators/shopify-bulk.ts`: run it for a demo.
if (require.main === module) {
	runFromCommandLine(
		() => startShopifyBulkEmulator({ port: Number(process.env.PORT) || undefined }),
		(emulator) => [
			`Shopify bulk operations emulator GraphQL URL: ${emulator.graphqlUrl}`,
			`storage (result files):                    ${emulator.storageOrigin}`,
			`X-Shopify-Access-Token:                    ${emulator.accessToken}`,
		],
	);
}
