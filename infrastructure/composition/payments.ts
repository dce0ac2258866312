/**
 * The payment slice of the composition root: payment transactions and their read models (the
 * transactions list and the ledger). Payment providers and the hosted payment page join it here.
 */
import { TransactionCommands } from '../../application/payment/transaction-commands.js';
import { TransactionQueries } from '../../application/payment/transaction-queries.js';
import type { Wiring } from './wiring.js';

export function bindPayments(w: Wiring): void {
  const { container } = w;
  container.bind(TransactionCommands).toSelf();
  container.bind(TransactionQueries).toSelf();
}
