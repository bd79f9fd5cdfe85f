/**
 * Tests of the Shopify bulk operations emulator itself, over real HTTP.
 * Run: node --import tsx --test test/emulators/shopify-bulk.test.ts
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { after, afterEach, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { startShopifyBulkEmulator, type ShopifyBulkEmulator } from './shopify-bulk';

type Json = Record<string, any>;

async function gql(emu: ShopifyBulkEmulator, query: string, variables?: Json, options: { version?: string; token?: string | null } = {}): Promise<{ status: number; headers: Headers; body: Json }> {
	const url = options.version ? `${emu.shopOrigin}/admin/api/${options.version}/graphql.json` : emu.graphqlUrl;
	const headers: Record<string, string> = { 'Content-Type': 'application/json' };
	if (options.token !== null) headers['X-Shopify-Access-Token'] = options.token ?? emu.accessToken;
	const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
	const text = await res.text();
	return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Json) : {} };
}

const PRODUCTS_QUERY = `
{
  products {
    edges {
      node {
        id
        title
        variants {
          edges {
            node {
              id
              sku
              price
            }
          }
        }
      }
    }
  }
}`;

const RUN = `mutation run($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}`;

const POLL_NODE = `query poll($id: ID!) {
  node(id: $id) {
    ... on BulkOperation { id status errorCode createdAt completedAt objectCount rootObjectCount fileSize url partialDataUrl }
  }
}`;

async function run(emu: ShopifyBulkEmulator, query: string, version?: string): Promise<Json> {
	const res = await gql(emu, RUN, { query }, { version });
	assert.equal(res.status, 200, JSON.stringify(res.body));
	assert.equal(res.body.errors, undefined, JSON.stringify(res.body));
	return res.body.data.bulkOperationRunQuery as Json;
}

async function pollToEnd(emu: ShopifyBulkEmulator, id: string, version?: string): Promise<{ statuses: string[]; last: Json }> {
	const statuses: string[] = [];
	for (let i = 0; i < 30; i++) {
		const res = await gql(emu, POLL_NODE, { id }, { version });
		assert.equal(res.status, 200, JSON.stringify(res.body));
		const op = res.body.data.node as Json;
		statuses.push(op.status);
		if (!['CREATED', 'RUNNING', 'CANCELING'].includes(op.status)) return { statuses, last: op };
	}
	throw new Error(`operation ${id} did not finish: ${statuses.join(',')}`);
}

function parseJsonl(text: string): Json[] {
	assert.ok(text.endsWith('\n'), 'JSONL ends with a line break');
	return text.slice(0, -1).split('\n').map((line) => JSON.parse(line) as Json);
}

function rawGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
	return new Promise((resolve, reject) => {
		const req = http.get(url, { headers }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (chunk: Buffer) => chunks.push(chunk));
			res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
			res.on('error', reject);
		});
		req.on('error', reject);
	});
}

describe('Shopify bulk emulator: query operations', () => {
	let emu: ShopifyBulkEmulator;
	before(async () => {
		emu = await startShopifyBulkEmulator();
	});
	after(() => emu.close());
	afterEach(() => emu.faults.reset());

	it('runs a bulk query: CREATED, RUNNING, then COMPLETED with a signed JSONL url', async () => {
		const started = await run(emu, PRODUCTS_QUERY);
		assert.deepEqual(started.userErrors, []);
		assert.match(started.bulkOperation.id, /^gid:\/\/shopify\/BulkOperation\/\d+$/);
		assert.equal(started.bulkOperation.status, 'CREATED');
		const { statuses, last } = await pollToEnd(emu, started.bulkOperation.id);
		assert.deepEqual(statuses, ['RUNNING', 'RUNNING', 'COMPLETED']);
		assert.equal(last.errorCode, null);
		assert.equal(last.objectCount, String(12 + 12 * 3), 'UnsignedInt64 values are strings');
		assert.equal(last.rootObjectCount, '12');
		assert.match(last.completedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
		const url = new URL(last.url);
		assert.equal(url.hostname, 'localhost');
		assert.match(url.pathname, /^\/shopify-tiers-assets-prod-us-east1\/bulk-operation-outputs\/[a-z0-9]+-final$/);
		for (const param of ['GoogleAccessId', 'Expires', 'Signature', 'response-content-disposition']) assert.ok(url.searchParams.get(param), param);
		const res = await fetch(last.url);
		assert.equal(res.status, 200);
		assert.equal(res.headers.get('content-type'), 'application/jsonl');
		const text = await res.text();
		assert.equal(Buffer.byteLength(text), Number(last.fileSize));
		assert.ok(text.includes('gid:\\/\\/shopify\\/Product\\/'), 'slashes escaped as Shopify writes them');
		const lines = parseJsonl(text);
		assert.equal(lines.length, 48);
		const products = lines.filter((line) => line.__parentId === undefined);
		const variants = lines.filter((line) => line.__parentId !== undefined);
		assert.equal(products.length, 12);
		assert.deepEqual(Object.keys(products[0]), ['id', 'title']);
		assert.deepEqual(Object.keys(variants[0]), ['id', 'sku', 'price', '__parentId']);
		assert.match(variants[0].id, /^gid:\/\/shopify\/ProductVariant\/\d+$/);
		const seen = new Set<string>();
		for (const line of lines) {
			if (line.__parentId) assert.ok(seen.has(line.__parentId), 'a child always comes after its parent');
			else seen.add(line.id);
		}
	});

	it('writes children directly under their parent with groupObjects: true', async () => {
		const res = await gql(emu, `mutation { bulkOperationRunQuery(groupObjects: true, query: """${PRODUCTS_QUERY}""") { bulkOperation { id } userErrors { message } } }`);
		const id = res.body.data.bulkOperationRunQuery.bulkOperation.id;
		const { last } = await pollToEnd(emu, id);
		const lines = parseJsonl(await (await fetch(last.url)).text());
		let parent = '';
		for (const line of lines) {
			if (line.__parentId) assert.equal(line.__parentId, parent);
			else parent = line.id;
		}
	});

	it('refuses a second bulk query while one runs (before 2026-01), with OPERATION_IN_PROGRESS', async () => {
		const first = await run(emu, PRODUCTS_QUERY);
		const second = await run(emu, PRODUCTS_QUERY);
		assert.equal(second.bulkOperation, null);
		assert.equal(second.userErrors[0].code, 'OPERATION_IN_PROGRESS');
		assert.match(second.userErrors[0].message, new RegExp(`already in progress: ${first.bulkOperation.id}`));
		await pollToEnd(emu, first.bulkOperation.id);
	});

	it('allows five concurrent bulk queries from 2026-01, and offers bulkOperation(id:)', async () => {
		const ids: string[] = [];
		for (let i = 0; i < 5; i++) {
			const started = await run(emu, PRODUCTS_QUERY, '2026-01');
			assert.deepEqual(started.userErrors, []);
			ids.push(started.bulkOperation.id);
		}
		const sixth = await run(emu, PRODUCTS_QUERY, '2026-01');
		assert.equal(sixth.userErrors[0].code, 'LIMIT_REACHED');
		const byId = await gql(emu, 'query($id: ID!) { bulkOperation(id: $id) { id status } }', { id: ids[0] }, { version: '2026-01' });
		assert.equal(byId.body.data.bulkOperation.id, ids[0]);
		const older = await gql(emu, 'query($id: ID!) { bulkOperation(id: $id) { id } }', { id: ids[0] }, { version: '2025-10' });
		assert.equal(older.body.errors[0].extensions.code, 'undefinedField');
		for (const id of ids) await pollToEnd(emu, id, '2026-01');
	});

	it('reports the latest operation through currentBulkOperation', async () => {
		const started = await run(emu, PRODUCTS_QUERY);
		const current = await gql(emu, '{ currentBulkOperation(type: QUERY) { id status type query } }');
		assert.equal(current.body.data.currentBulkOperation.id, started.bulkOperation.id);
		assert.equal(current.body.data.currentBulkOperation.type, 'QUERY');
		assert.equal(current.body.data.currentBulkOperation.query, PRODUCTS_QUERY);
		assert.equal(current.body.data.currentBulkOperation.status, 'RUNNING');
		await pollToEnd(emu, started.bulkOperation.id);
	});

	it('gives url null for a query without results', async () => {
		const started = await run(emu, '{ products(query: "title:NoSuchProduct*") { edges { node { id } } } }');
		const { last } = await pollToEnd(emu, started.bulkOperation.id);
		assert.equal(last.status, 'COMPLETED');
		assert.equal(last.objectCount, '0');
		assert.equal(last.url, null);
		assert.equal(last.fileSize, null);
	});

	it('filters with the search syntax, accepts nodes { } and nested objects, for customers too', async () => {
		const pivot = emu.data.products()[5].updatedAt;
		const started = await run(emu, `{ products(query: "updated_at:>'${pivot}' status:active") { nodes { id updatedAt status priceRangeV2 { minVariantPrice { amount currencyCode } } } } }`);
		const { last } = await pollToEnd(emu, started.bulkOperation.id);
		const lines = parseJsonl(await (await fetch(last.url)).text());
		const expected = emu.data.products().filter((p) => p.updatedAt > pivot && p.status === 'ACTIVE');
		assert.deepEqual(lines.map((line) => line.id), expected.map((p) => p.id));
		assert.equal(lines[0].priceRangeV2.minVariantPrice.currencyCode, 'USD');
		const customers = await run(emu, '{ customers { edges { node { id email amountSpent { amount } } } } }');
		const done = await pollToEnd(emu, customers.bulkOperation.id);
		const customerLines = parseJsonl(await (await fetch(done.last.url)).text());
		assert.equal(customerLines.length, 8);
		assert.match(customerLines[0].id, /^gid:\/\/shopify\/Customer\//);
	});

	it('answers userErrors for invalid bulk queries', async () => {
		const unknownField = await run(emu, '{ products { edges { node { id nope } } } }');
		assert.equal(unknownField.bulkOperation, null);
		assert.deepEqual(unknownField.userErrors[0].field, ['query']);
		assert.match(unknownField.userErrors[0].message, /Field 'nope' doesn't exist on type 'Product'/);
		const noConnection = await run(emu, '{ shop { name } }');
		assert.match(noConnection.userErrors[0].message, /connection/);
		const noParentId = await run(emu, '{ products { edges { node { title variants { edges { node { id } } } } } } }');
		assert.match(noParentId.userErrors[0].message, /must select the 'id' field/);
		const syntax = await run(emu, '{ products { edges { node { id } }');
		assert.match(syntax.userErrors[0].message, /syntax error/);
	});

	it('cancels a running operation: CANCELING, then CANCELED', async () => {
		emu.faults.neverFinish();
		const started = await run(emu, PRODUCTS_QUERY);
		const res = await gql(emu, 'mutation($id: ID!) { bulkOperationCancel(id: $id) { bulkOperation { id status } userErrors { field message } } }', { id: started.bulkOperation.id });
		assert.equal(res.body.data.bulkOperationCancel.bulkOperation.status, 'CANCELING');
		const { last } = await pollToEnd(emu, started.bulkOperation.id);
		assert.equal(last.status, 'CANCELED');
		assert.equal(last.url, null);
	});

	it('returns extensions.cost on every answer and accepts application/graphql bodies', async () => {
		const res = await fetch(emu.graphqlUrl, { method: 'POST', headers: { 'Content-Type': 'application/graphql', 'X-Shopify-Access-Token': emu.accessToken }, body: '{ shop { name } }' });
		const body = (await res.json()) as Json;
		assert.equal(body.data.shop.name, 'Emulator Shop');
		assert.equal(body.extensions.cost.requestedQueryCost, 1);
		assert.equal(body.extensions.cost.throttleStatus.maximumAvailable, 2000);
		assert.equal(body.extensions.cost.throttleStatus.restoreRate, 100);
		assert.equal(res.headers.get('x-shopify-api-version'), emu.apiVersion);
	});
});

describe('Shopify bulk emulator: storage host', () => {
	let emu: ShopifyBulkEmulator;
	let url: string;
	let opId: string;
	before(async () => {
		emu = await startShopifyBulkEmulator({ gzipDownloads: true });
		const started = await run(emu, PRODUCTS_QUERY);
		opId = started.bulkOperation.id;
		url = (await pollToEnd(emu, opId)).last.url;
	});
	after(() => emu.close());
	afterEach(() => emu.faults.reset());

	it('refuses requests that carry the access token or an Authorization header, and logs their headers', async () => {
		const withToken = await fetch(url, { headers: { 'X-Shopify-Access-Token': emu.accessToken } });
		assert.equal(withToken.status, 403);
		assert.match(await withToken.text(), /AccessDenied/);
		const withAuth = await fetch(url, { headers: { Authorization: 'Bearer x' } });
		assert.equal(withAuth.status, 403);
		const storageRequests = emu.requests.filter((request) => request.host === 'storage');
		assert.ok(storageRequests.some((request) => request.headers['x-shopify-access-token'] === emu.accessToken && request.refused));
		const clean = await fetch(url);
		assert.equal(clean.status, 200);
		assert.equal(emu.requests.filter((request) => request.host === 'storage').at(-1)?.headers['x-shopify-access-token'], undefined);
	});

	it('serves byte ranges with 206 and Content-Range', async () => {
		const whole = emu.operationFile(opId) as Buffer;
		const res = await fetch(url, { headers: { Range: 'bytes=10-29', 'Accept-Encoding': 'identity' } });
		assert.equal(res.status, 206);
		assert.equal(res.headers.get('content-range'), `bytes 10-29/${whole.length}`);
		assert.deepEqual(Buffer.from(await res.arrayBuffer()), whole.subarray(10, 30));
		const beyond = await fetch(url, { headers: { Range: `bytes=${whole.length + 5}-`, 'Accept-Encoding': 'identity' } });
		assert.equal(beyond.status, 416);
	});

	it('sends gzip to clients that accept it and transcodes for the others', async () => {
		const zipped = await rawGet(url, { 'Accept-Encoding': 'gzip' });
		assert.equal(zipped.status, 200);
		assert.equal(zipped.headers['content-encoding'], 'gzip');
		assert.equal(zipped.headers['x-goog-stored-content-encoding'], 'gzip');
		const plain = await rawGet(url);
		assert.equal(plain.headers['content-encoding'], undefined);
		assert.deepEqual(gunzipSync(zipped.body), plain.body);
	});

	it('answers 400 ExpiredToken for expired links, 403 for a bad signature, and can cut a download short', async () => {
		emu.faults.expireUrls(1);
		const expired = await fetch(url);
		assert.equal(expired.status, 400);
		assert.match(await expired.text(), /<Code>ExpiredToken<\/Code>/);
		const tampered = new URL(url);
		tampered.searchParams.set('Signature', 'AAAA');
		const bad = await fetch(tampered);
		assert.equal(bad.status, 403);
		assert.match(await bad.text(), /SignatureDoesNotMatch/);
		emu.faults.truncateDownload(1, 50);
		await assert.rejects(async () => {
			const res = await fetch(url, { headers: { 'Accept-Encoding': 'identity' } });
			await res.text();
		});
		assert.equal((await fetch(url)).status, 200);
	});

	it('expires the url after seven days on its clock: link dead, status EXPIRED', async () => {
		emu.clock.advance(7 * 24 * 3600 * 1000 + 1000);
		const res = await fetch(url);
		assert.equal(res.status, 400);
		const poll = await gql(emu, POLL_NODE, { id: opId });
		assert.equal(poll.body.data.node.status, 'EXPIRED');
		assert.equal(poll.body.data.node.url, null);
	});
});

describe('Shopify bulk emulator: errors, throttling and faults', () => {
	let emu: ShopifyBulkEmulator;
	before(async () => {
		emu = await startShopifyBulkEmulator({ frozenClock: true, costLimits: { maximumAvailable: 25, restoreRate: 5 } });
	});
	after(() => emu.close());
	afterEach(() => emu.faults.reset());

	it('answers 401 for a missing or wrong access token and 404 for an unknown version', async () => {
		const missing = await gql(emu, '{ shop { name } }', undefined, { token: null });
		assert.equal(missing.status, 401);
		assert.match(missing.body.errors, /Invalid API key or access token/);
		assert.equal((await gql(emu, '{ shop { name } }', undefined, { token: 'shpat_wrong' })).status, 401);
		assert.equal((await gql(emu, '{ shop { name } }', undefined, { version: '2019-01' })).status, 404);
	});

	it('throttles with THROTTLED when the cost bucket runs dry, and refills with time', async () => {
		emu.clock.advance(60_000);
		const first = await gql(emu, RUN, { query: '{ customers { edges { node { id } } } }' });
		assert.equal(first.body.extensions.cost.actualQueryCost, 10);
		await pollToEnd(emu, first.body.data.bulkOperationRunQuery.bulkOperation.id).catch(() => undefined);
		let throttled: Json | undefined;
		for (let i = 0; i < 40 && !throttled; i++) {
			const res = await gql(emu, '{ shop { name } }');
			if (res.body.errors?.[0]?.extensions?.code === 'THROTTLED') throttled = res.body;
		}
		assert.ok(throttled, 'the bucket of 25 points runs dry');
		assert.equal(throttled.errors[0].message, 'Throttled');
		assert.equal(throttled.extensions.cost.actualQueryCost, null);
		assert.equal(throttled.extensions.cost.throttleStatus.maximumAvailable, 25);
		emu.clock.advance(5_000);
		assert.equal((await gql(emu, '{ shop { name } }')).body.data.shop.name, 'Emulator Shop');
	});

	it('answers a forced THROTTLED, 429 bursts with Retry-After and 5xx bursts', async () => {
		emu.clock.advance(60_000);
		emu.faults.throttle(1);
		assert.equal((await gql(emu, '{ shop { name } }')).body.errors[0].extensions.code, 'THROTTLED');
		emu.faults.rateLimit(2, 3);
		for (let i = 0; i < 2; i++) {
			const res = await gql(emu, '{ shop { name } }');
			assert.equal(res.status, 429);
			assert.equal(res.headers.get('retry-after'), '3.0');
		}
		emu.faults.serverError(1, 503);
		assert.equal((await gql(emu, '{ shop { name } }')).status, 503);
		assert.equal((await gql(emu, '{ shop { name } }')).status, 200);
	});

	it('fails an operation with errorCode and a partialDataUrl when told to', async () => {
		emu.clock.advance(60_000);
		emu.faults.failJob('TIMEOUT', { partial: true });
		const started = await run(emu, PRODUCTS_QUERY);
		const { last } = await pollToEnd(emu, started.bulkOperation.id);
		assert.equal(last.status, 'FAILED');
		assert.equal(last.errorCode, 'TIMEOUT');
		assert.equal(last.url, null);
		assert.ok(last.partialDataUrl);
		const partial = parseJsonl(await (await fetch(last.partialDataUrl)).text());
		assert.equal(partial.length, 24);
	});

	it('keeps an operation RUNNING until the 10-day limit fails it', async () => {
		emu.clock.advance(60_000);
		emu.faults.neverFinish();
		const started = await run(emu, PRODUCTS_QUERY);
		for (let i = 0; i < 4; i++) {
			emu.clock.advance(10_000);
			assert.equal((await gql(emu, POLL_NODE, { id: started.bulkOperation.id })).body.data.node.status, 'RUNNING');
		}
		emu.clock.advance(10 * 24 * 3600 * 1000);
		const last = (await gql(emu, POLL_NODE, { id: started.bulkOperation.id })).body.data.node;
		assert.equal(last.status, 'FAILED');
		assert.equal(last.errorCode, 'TIMEOUT');
	});

	it('rejects unknown fields in the polling query as GraphQL errors', async () => {
		emu.clock.advance(60_000);
		const res = await gql(emu, '{ currentBulkOperation { id nope } }');
		assert.equal(res.status, 200);
		assert.equal(res.body.data, undefined);
		assert.match(res.body.errors[0].message, /Field 'nope' doesn't exist on type 'BulkOperation'/);
	});
});

describe('Shopify bulk emulator: time-driven progression', () => {
	let emu: ShopifyBulkEmulator;
	before(async () => {
		emu = await startShopifyBulkEmulator({ completeAfterMs: 30_000, frozenClock: true, costLimits: false, seed: false });
		emu.data.generateProducts(500, { variantsPerProduct: 2 });
	});
	after(() => emu.close());

	it('completes when the clock passes completeAfterMs, objectCount growing meanwhile', async () => {
		const started = await run(emu, PRODUCTS_QUERY);
		const id = started.bulkOperation.id;
		assert.equal((await gql(emu, POLL_NODE, { id })).body.data.node.status, 'CREATED');
		emu.clock.advance(15_000);
		const half = (await gql(emu, POLL_NODE, { id })).body.data.node;
		assert.equal(half.status, 'RUNNING');
		assert.equal(half.objectCount, '750');
		emu.clock.advance(15_000);
		const done = (await gql(emu, POLL_NODE, { id })).body.data.node;
		assert.equal(done.status, 'COMPLETED');
		assert.equal(done.objectCount, '1500');
		assert.equal(parseJsonl(await (await fetch(done.url)).text()).length, 1500);
	});
});
