/**
 * Where the embedded mode keeps the in-process bus's unfinished messages between two runs of
 * the process: saved on a graceful stop, taken back (and removed) at the next start. Messages
 * stay the bytes the bus encoded, with their topic and key, per consumer group.
 */
import type { DataSource } from 'typeorm';

export interface BacklogMessage {
  topic: string;
  key: Buffer | null;
  value: Buffer | null;
}

export interface GroupBacklog {
  groupId: string;
  messages: BacklogMessage[];
}

export class InProcessBacklog {
  constructor(private readonly dataSource: DataSource) {}

  /** Appends each group's messages, in order. */
  async save(backlogs: GroupBacklog[]): Promise<number> {
    const rows = backlogs.flatMap(({ groupId, messages }) =>
      messages.map((message) => ({ groupId, ...message })),
    );
    if (rows.length === 0) return 0;
    // Raw SQL: unnest arrays keep one statement and four parameters whatever the backlog's size
    await this.dataSource.query(
      `INSERT INTO in_process_backlog (consumer_group, topic, message_key, message_value)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::bytea[])`,
      [
        rows.map((row) => row.groupId),
        rows.map((row) => row.topic),
        rows.map((row) => row.key),
        rows.map((row) => row.value),
      ],
    );
    return rows.length;
  }

  /** Removes and returns everything saved, per group, in the order it was saved. */
  async takeAll(): Promise<GroupBacklog[]> {
    // Raw SQL: DELETE … RETURNING has no ORDER BY; the CTE removes and orders in one statement
    const rows = await this.dataSource.query<
      Array<{
        consumer_group: string;
        topic: string;
        message_key: Buffer | Uint8Array | null;
        message_value: Buffer | Uint8Array | null;
      }>
    >(
      `WITH taken AS (DELETE FROM in_process_backlog RETURNING *)
       SELECT consumer_group, topic, message_key, message_value FROM taken ORDER BY id`,
    );
    const byGroup = new Map<string, BacklogMessage[]>();
    for (const row of rows) {
      const messages = byGroup.get(row.consumer_group) ?? [];
      messages.push({
        topic: row.topic,
        key: row.message_key === null ? null : Buffer.from(row.message_key),
        value: row.message_value === null ? null : Buffer.from(row.message_value),
      });
      byGroup.set(row.consumer_group, messages);
    }
    return [...byGroup].map(([groupId, messages]) => ({ groupId, messages }));
  }
}
