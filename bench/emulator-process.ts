// Runs the 4me emulator in its own process for benchmarks, so its memory does not count
// against the node's. Prints one JSON line with where to reach it, then serves until killed.
import { startFourMeEmulator } from '../test/emulators/fourme';

async function main() {
	const rows = Number(process.argv[2] ?? 100_000);
	const emulator = await startFourMeEmulator({ pollsUntilDone: 1 });
	emulator.records.generate('requests', rows);
	console.log(JSON.stringify({ apiUrl: emulator.apiUrl, token: emulator.token, account: emulator.account }));
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
