/**
 * A network namespace joined to this one by a veth pair, on addresses made for it, so that a
 * process inside can be cut off the network and healed: `cut()` takes the link down (packets
 * are dropped, nothing is reset, as when a cable or a switch fails), `heal()` brings it back.
 *
 *   this namespace: <veth host side> 10.213.N.1/24  <->  <veth inside> 10.213.N.2/24 : namespace
 *
 * Needs `ip` (iproute2) and CAP_NET_ADMIN; `createNetns()` answers a reason to skip otherwise.
 * Everything made is named after this process, and `destroy()` removes it all.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface Netns {
  name: string;
  /** The address on this side of the link. */
  hostAddress: string;
  /** The address inside the namespace. */
  innerAddress: string;
  /** The command prefix that runs a process inside: `ip netns exec <name>`. */
  prefix: string[];
  cut(): Promise<void>;
  heal(): Promise<void>;
  destroy(): Promise<void>;
}

async function ip(...args: string[]): Promise<void> {
  await exec('ip', args, { timeout: 10_000 });
}

/** A namespace, or the reason none can be made here (a sentence for a test's skip). */
export async function createNetns(index = 0): Promise<Netns | string> {
  const tag = `${process.pid % 100_000}x${index}`;
  const name = `samsa-${tag}`;
  const outside = `sh${tag}`;
  const inside = `sn${tag}`;
  const subnet = `10.213.${(process.pid + index) % 250}`;
  const hostAddress = `${subnet}.1`;
  const innerAddress = `${subnet}.2`;
  try {
    await ip('netns', 'add', name);
  } catch (err) {
    return `network namespaces cannot be made here (ip netns add: ${((err as { stderr?: string }).stderr ?? String(err)).trim()}); needs iproute2 and CAP_NET_ADMIN`;
  }
  const destroy = async (): Promise<void> => {
    await ip('link', 'del', outside).catch(() => undefined);
    await ip('netns', 'del', name).catch(() => undefined);
  };
  try {
    await ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', inside);
    await ip('link', 'set', inside, 'netns', name);
    await ip('addr', 'add', `${hostAddress}/24`, 'dev', outside);
    await ip('link', 'set', outside, 'up');
    await ip('netns', 'exec', name, 'ip', 'addr', 'add', `${innerAddress}/24`, 'dev', inside);
    await ip('netns', 'exec', name, 'ip', 'link', 'set', inside, 'up');
    await ip('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up');
  } catch (err) {
    await destroy();
    return `a veth pair could not be set up (${((err as { stderr?: string }).stderr ?? String(err)).trim()})`;
  }
  return {
    name,
    hostAddress,
    innerAddress,
    prefix: ['ip', 'netns', 'exec', name],
    cut: () => ip('link', 'set', outside, 'down'),
    heal: () => ip('link', 'set', outside, 'up'),
    destroy,
  };
}
