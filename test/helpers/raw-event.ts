import type { EventType, NewEvent } from '../../src/contracts/events';

/** An event whose data is not its type's (the event log's own tests: the log never looks inside the data). */
export const rawEvent = (type: EventType, key: string, data: Record<string, unknown>): NewEvent => ({ type, key, data }) as unknown as NewEvent;
