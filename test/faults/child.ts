/**
 * Runs one fault case in a child process of the matrix (see runIsolated in runner.ts):
 * `node --max-old-space-size=512 --import tsx test/faults/child.ts <profile> <case>`.
 * Cases whose payloads could exhaust memory run here, so that a crash is a result.
 */
import { runChild } from './runner';

const [profileName, caseName] = process.argv.slice(2);
runChild(profileName, caseName).then(
	// A node that left timers or sockets behind must not keep the child alive.
	() => process.exit(0),
	(error: unknown) => {
		console.error(error);
		process.exit(1);
	},
);
