import {
	NodeConnectionTypes,
	type IDataObject,
	type INodeExecutionData,
	type INodeProperties,
	type INodeType,
	type INodeTypeDescription,
	type IPollFunctions,
} from 'n8n-workflow';

import {
	firstActivationFields,
	maxFileSizeOption,
	maxWaitPerPollMs,
	maxRowsPerPollOption,
	maxWaitPerPollOption,
	optionsCollection,
	readDownloadOptions,
	readFirstActivation,
	readSampleSize,
	testEventRowsOption,
} from '../shared/description';
import { contentKey, pollIncremental, type IncrementalTrigger } from '../shared/trigger';
import { convertNumbersOption, objectTypeField, profileFields, readExportRequest, retryFailedOption, waitOptions } from './actions/export/common';
import { anduinExportJob, OBJECTS_PER_JOB, type ExportRequest } from './helpers/exportJob';
import { formatPosition, parsePosition } from './helpers/position';

// Anduin's exports have no updated-since filter: the trigger runs full passes over the objects
// (a cursor chain each) and emits the objects whose content differs from what it has seen.
// Only "now" (a remembered first pass) and "full" make sense; there is no date to start from.
const firstActivation: INodeProperties[] = firstActivationFields({
	since: '',
	sinceField: '',
	full: 'The first pass emits every object; later passes emit the objects that are new or changed',
})
	.filter((field) => field.name === 'startWith')
	.map((field) => ({
		...field,
		options: (field.options ?? [])
			.filter((option) => 'value' in option && option.value !== 'since')
			.map((option) =>
				'value' in option && option.value === 'now'
					? { ...option, description: 'The first pass over the objects is remembered, not emitted; later passes emit the objects that are new or changed' }
					: option,
			),
	}));

export class AnduinIdmTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Anduin IDM Trigger',
		name: 'anduinIdmTrigger',
		icon: { light: 'file:anduin.svg', dark: 'file:anduin.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{"New or changed " + $parameter["objectType"]}}',
		description: 'Emits Anduin IDM objects that are new or changed, by exporting every object in passes and comparing each with what earlier passes returned',
		defaults: { name: 'Anduin IDM Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'anduinIdmApi', required: true }],
		properties: [
			{ ...objectTypeField, description: 'The IDM objects to watch. For another object Anduin exports, use an expression with its path segment.' },
			...profileFields,
			...firstActivation,
			{
				displayName:
					'Anduin exports cannot ask for changes only: each pass exports every object (100,000 per job, one job after another) and emits those that differ from the previous pass. A long pass goes on over several polls. Poll no more often than a pass takes.',
				name: 'passNotice',
				type: 'notice',
				default: '',
			},
			optionsCollection([
				maxWaitPerPollOption('Anduin'),
				maxRowsPerPollOption,
				...waitOptions.filter((option) => option.name !== 'timeoutMinutes'),
				convertNumbersOption,
				maxFileSizeOption,
				retryFailedOption,
				testEventRowsOption('objects of the first export job'),
			]),
		],
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		return pollIncremental(this, anduinTrigger(this));
	}
}

/**
 * Full passes, each a cursor chain from the start: a poll goes on with the stored cursor while it
 * has time (a long pass spans polls and is never restarted), and the rows are compared with what
 * earlier passes returned by a fingerprint of their content.
 */
function anduinTrigger(ctx: IPollFunctions): IncrementalTrigger<ExportRequest> {
	const options = ctx.getNodeParameter('options', {}) as IDataObject;
	const base = readExportRequest(ctx, (name, fallback) => ctx.getNodeParameter(name, fallback), {});
	const startWith = readFirstActivation(ctx) === 'full' ? 'full' : 'now';
	const maxWaitMs = maxWaitPerPollMs(ctx, options);
	// A job (or a re-run for an expired file URL) waits at most a poll's time.
	const job = anduinExportJob(ctx, { ...options, timeoutMinutes: maxWaitMs / 60_000 }, { restartOnRefusedCursor: true });
	return {
		name: 'Anduin IDM Trigger',
		job,
		positionName: 'cursor',
		firstPosition: async () => ({ position: formatPosition(0) }),
		requestAfter: async (position) => {
			const { pass, cursor } = parsePosition(position);
			return { ...base, pass, ...(cursor ? { cursor } : {}) };
		},
		positionAfter: (started, current, done) => {
			const pass = started.request.pass ?? parsePosition(current).pass;
			const next = done?.details?.nextCursor;
			return typeof next === 'string' && next ? formatPosition(pass, next) : formatPosition(pass + 1);
		},
		baseline: (started) => startWith === 'now' && (started.request.pass ?? 0) === 0,
		dedupe: {
			keyOf: contentKey,
			tagOf: (started) => String(started.request.pass ?? 0),
			// Each pass is compared with the one before: the keys of every object of the last
			// complete pass are kept (and of the pass under way), older passes are forgotten.
			rememberEvery: true,
			stillReturnable: (pass, position) => Number(pass) >= parsePosition(position).pass - 1,
			maxKeysPerJob: OBJECTS_PER_JOB,
		},
		sampleRequest: async () => base,
		sampleSize: readSampleSize(options),
		maxWaitMs,
		download: readDownloadOptions(options),
		retryFailedOnce: options.retryFailed === true,
	};
}
