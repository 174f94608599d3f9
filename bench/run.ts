// `npm run bench`: runs the scenario table against Warren (started here in a child process), a
// given broker, or the null broker (a relay without queues: the generator's ceiling); optionally
// alternating with a second broker for comparison.
// Prints figures only: benchmarks never assert timings.
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { USAGE, parseCli, type CliOptions } from './cli-options.js';
import type { Measurements } from './measurements.js';
import { NULL_BROKER_NOTE, progressLine, summaryTables, type RunRecord } from './report.js';
import type { Scenario } from './scenario-types.js';
import { findScenarios, scenarios as allScenarios } from './scenarios.js';
import { runBacklog } from './backlog.js';
import { runDeclareRate } from './declare-rate.js';
import { runIdleConnections } from './idle-connections.js';
import { runManagementApi } from './management-api.js';
import { runRecovery } from './recovery.js';
import { runStartup } from './startup.js';
import type { RunSettings } from './run-context.js';
import { runSteadyFlow } from './steady-flow.js';
import { childBroker, externalBroker, type Target } from './targets.js';

async function main(): Promise<void> {
  const options = parseCli(process.argv.slice(2));
  if (options.help) return void process.stdout.write(USAGE);
  if (options.list) {
    for (const s of allScenarios) console.log(`${s.name.padEnd(22)} ${s.heavy ? '(heavy) ' : ''}${s.summary}`);
    return;
  }
  const scenarios = findScenarios(options.scenarios);
  const settings: RunSettings = {
    client: options.client,
    warmupMs: options.warmupMs,
    durationMs: options.durationMs,
    backlogCount: options.backlogCount,
  };
  const targets = await openTargets(options);
  // A heavy scenario's run takes minutes: one round each unless asked for more.
  const roundsOf = (s: Scenario): number => options.rounds ?? (s.heavy || targets.length === 1 ? 1 : 2);
  const heavy = scenarios.some((s) => s.usesBacklogCount) ? `; backlog scenarios: ${settings.backlogCount.toLocaleString('en-US')} messages` : '';
  console.log(
    `warren bench: ${scenarios.length} scenario(s) on ${targets.map((t) => t.label).join(' and ')}; ` +
      `${settings.warmupMs / 1000}s warm-up + ${settings.durationMs / 1000}s measured${heavy}; ${settings.client} client; ` +
      `${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(2)}`,
  );

  const records: RunRecord[] = [];
  try {
    for (const scenario of scenarios) {
      for (let round = 1; round <= roundsOf(scenario); round++) {
        for (const [index, target] of targets.entries()) {
          const record = await runOnce(scenario, target, round, index, settings);
          records.push(record);
          console.log(progressLine(record));
        }
      }
    }
  } finally {
    await Promise.all(targets.map((t) => t.release()));
  }

  console.log(`\n${summaryTables(scenarios, targets.map((t) => t.label), records, { backlogCount: settings.backlogCount })}`);
  if (options.nullBroker) console.log(`\n${NULL_BROKER_NOTE}`);
  if (options.jsonFile) {
    writeFileSync(options.jsonFile, JSON.stringify({ settings, cpus: cpus().length, records }, null, 2));
    console.log(`\nwrote ${options.jsonFile}`);
  }
}

async function openTargets(options: CliOptions): Promise<Target[]> {
  const primary = options.nullBroker
    ? childBroker('null')
    : options.url
      ? await externalBroker(options.url, options.pid, { missing: 'the bench takes a management API URL only for --against (--against-management)' })
      : childBroker('warren');
  if (!options.against) return [primary];
  const management = options.againstManagement
    ? { url: options.againstManagement }
    : { missing: 'no management API URL for it (give --against-management URL)' };
  const other = await externalBroker(options.against, options.againstPid, management);
  if (other.label === primary.label) other.label = `${other.label} (against)`;
  return [primary, other];
}

async function runOnce(scenario: Scenario, target: Target, round: number, index: number, settings: RunSettings): Promise<RunRecord> {
  // Unique per run, so a leftover from an interrupted run can never be mistaken for this one's.
  const plan = scenario.plan(`bench.${scenario.name}.${process.pid}.${round}.${index}`, { backlogCount: settings.backlogCount });
  const record = { scenario: scenario.name, kind: plan.kind, target: target.label, round };
  try {
    let measurements: Measurements;
    switch (plan.kind) {
      case 'steady-flow':
        measurements = await runSteadyFlow(plan, await target.prepare(), settings);
        break;
      case 'backlog':
        measurements = await runBacklog(plan, await target.prepare(), settings);
        break;
      case 'recovery':
        if (!target.launchOnDataDir) {
          return { ...record, measurements: null, skipped: 'the bench restarts only a broker it starts itself (the embedded Warren)' };
        }
        measurements = await runRecovery(plan, target.launchOnDataDir, settings);
        break;
      case 'idle-connections':
        measurements = await runIdleConnections(plan, await target.prepare(), settings);
        break;
      case 'declare-rate':
        measurements = await runDeclareRate(plan, await target.prepare());
        break;
      case 'management-api': {
        const broker = await target.prepare({ management: true });
        if (!broker.managementUrl) return { ...record, measurements: null, skipped: target.noManagementReason };
        measurements = await runManagementApi(plan, broker);
        break;
      }
      case 'startup': {
        if (!target.cliLaunch) {
          return { ...record, measurements: null, skipped: 'the bench cold-starts only Warren, through its own command line' };
        }
        const launch = target.cliLaunch();
        if (launch.underTsx) console.error('  startup: the broker could not be compiled; its times include tsx');
        measurements = await runStartup(plan, launch);
        break;
      }
    }
    return { ...record, measurements };
  } catch (err) {
    return { ...record, measurements: null, error: err instanceof Error ? err.message : String(err) };
  } finally {
    await target.release();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
