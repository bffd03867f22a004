import {getEventListeners} from "node:events";
import {describe, expect, test} from "vitest";
import {interruptibleWait} from "../../src/lib/core/wait.js";

describe("interruptible wait", () => {
  test("ends on its timer, on wake, or on abort, and leaves no listener on the signal", async () => {
    const controller = new AbortController();
    const started = performance.now();
    for (let i = 0; i < 50; i++) await interruptibleWait(controller.signal, 1).done;
    for (let i = 0; i < 50; i++) {
      const wait = interruptibleWait(controller.signal, 60_000);
      wait.wake();
      await wait.done;
    }
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    expect(performance.now() - started).toBeLessThan(5_000);
    const pending = interruptibleWait(controller.signal);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(1);
    controller.abort();
    await pending.done;
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    // On a signal already aborted, the wait is over at once.
    await interruptibleWait(controller.signal, 60_000).done;
  });
});
