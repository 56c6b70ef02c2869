import { Connection } from '@temporalio/client';

/** Resolves once the Temporal frontend at `address` answers a call; throws what went wrong otherwise. */
export async function temporalAnswers(address: string): Promise<true> {
  const connection = await Connection.connect({ address, connectTimeout: 2_000 });
  try {
    await connection.workflowService.getSystemInfo({});
    return true;
  } finally {
    await connection.close();
  }
}
