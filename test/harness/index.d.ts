// Types for the plain-JS harness in this folder (index.js), so TypeScript tests can import it.
import type {
	ExecutionStatus,
	ICredentialDataDecryptedObject,
	ICredentialType,
	IConnections,
	IDataObject,
	INode,
	INodeExecutionData,
	INodeParameters,
	INodeType,
	IPinData,
	IRun,
	IRunData,
	ITaskData,
	IVersionedNodeType,
	IWorkflowSettings,
	WorkflowActivateMode,
	WorkflowExecuteMode,
} from 'n8n-workflow';

/** A node class (implements INodeType / extends VersionedNodeType) or an instance of one. */
export type NodeTypeInput = (new () => INodeType | IVersionedNodeType) | INodeType | IVersionedNodeType;
/** A credential class (implements ICredentialType) or an instance of one. */
export type CredentialTypeInput = (new () => ICredentialType) | ICredentialType;

/** A credential as stored in n8n: its id/name (what nodes reference) and its decrypted fields. */
export interface StoredCredential {
	id?: string;
	name?: string;
	data: ICredentialDataDecryptedObject;
}

export interface LogEntry {
	level: 'error' | 'warn' | 'info' | 'debug';
	message: string;
	meta?: Record<string, unknown>;
	/** set when logged through logger.scoped(...) */
	scopes?: string[];
}

export interface ReportedError {
	level: 'error' | 'warning' | 'info';
	error: unknown;
	options?: unknown;
}

export interface RunWorkflowOptions {
	/** full node type name (e.g. 'n8n-nodes-dreamlook.dreamlook') -> class; manualTrigger and noOp are built in */
	nodeTypes?: Record<string, NodeTypeInput>;
	/** credential type name (e.g. 'dreamlookApi') -> class */
	credentialTypes?: Record<string, CredentialTypeInput>;
	/** credential type name -> stored credential; nodes reference it by { id, name } in node.credentials */
	credentials?: Record<string, StoredCredential>;
	nodes: INode[];
	connections?: IConnections;
	/** items the manual trigger emits (default [{ json: {} }]) */
	inputItems?: INodeExecutionData[];
	/** node to start from (default: the trigger n8n would pick) */
	startNode?: string;
	/** n8n's execution timeout: cancels the execution after this many ms */
	timeoutMs?: number;
	/** "Stop execution" after this many ms: aborts this.getExecutionCancelSignal() */
	abortAfterMs?: number;
	/** 'filesystem' (default, n8n's default: bytes on disk, item has binary.id) or 'default' (base64 in binary.data) */
	binaryMode?: 'filesystem' | 'default';
	/** default { executionOrder: 'v1' } */
	settings?: IWorkflowSettings;
	/** workflow static data, e.g. { 'node:My Trigger': { cursor: 1 } } */
	staticData?: IDataObject;
	pinData?: IPinData;
	workflowId?: string;
	name?: string;
	/** execution mode (default 'manual'; 'retry' = n8n retrying a failed execution) */
	mode?: WorkflowExecuteMode;
}

export interface WorkflowResult {
	/** the IRun n8n would save (from the workflowExecuteAfter hook); undefined if the run never started */
	run: IRun | undefined;
	status: ExecutionStatus;
	finished: boolean;
	runData: IRunData;
	/**
	 * Why the execution failed: the failing node's error instance (NodeApiError, NodeOperationError, ...)
	 * when the harness saw it thrown, else n8n's plain copy, or an error thrown before the run started
	 * (e.g. WorkflowHasIssuesError). undefined on success.
	 */
	error: (Error & { description?: string | null; httpCode?: string | null; [key: string]: unknown }) | undefined;
	/** resultData.error exactly as n8n stores it (a plain object copy) */
	executionError: { message: string; [key: string]: unknown } | undefined;
	/** node names in the order they finished */
	executionOrder: string[];
	/** calls to this.logger (Container's Logger) made during the run */
	logs: LogEntry[];
	/** calls to n8n-workflow's LoggerProxy (WorkflowExecute's own debug lines, ...) */
	engineLogs: LogEntry[];
	/** what n8n would have sent to Sentry */
	reportedErrors: ReportedError[];
	/** the credential store after the run (updated by preAuthentication / OAuth token refresh) */
	credentials: Record<string, StoredCredential>;
	credentialUpdates: Array<{ type: string; data: ICredentialDataDecryptedObject }>;
	/** the workflow's static data after the run (plain copy) and whether n8n would save it */
	staticData: IDataObject;
	staticDataChanged: boolean;
	ran(nodeName: string): boolean;
	/** throws (listing what ran) when the node has no such run */
	taskData(nodeName: string, runIndex?: number): ITaskData;
	/** the error the node failed with (instance when possible, see `error`) */
	nodeError(
		nodeName: string,
		runIndex?: number,
	): (Error & { description?: string | null; httpCode?: string | null; [key: string]: unknown }) | undefined;
	/** items of one output of one run of a node (outputIndex 1 = error output with onError 'continueErrorOutput') */
	outputOf(nodeName: string, outputIndex?: number, runIndex?: number): INodeExecutionData[];
	/** bytes of a binary property, whatever the binary mode */
	binaryBuffer(
		nodeName: string,
		itemIndex?: number,
		propertyName?: string,
		outputIndex?: number,
		runIndex?: number,
	): Promise<Buffer>;
}

export interface PollOnceOptions {
	/** the polling trigger class (description.polling: true, poll()) */
	nodeType: NodeTypeInput;
	/** type name to register it under (default 'n8n-nodes-harness.pollUnderTest') */
	nodeTypeName?: string;
	credentialTypes?: Record<string, CredentialTypeInput>;
	credentials?: Record<string, StoredCredential>;
	/** node parameters; pollTimes defaults to every minute */
	parameters?: INodeParameters;
	/** the node's static data (getWorkflowStaticData('node')); updated in place in 'trigger' mode */
	staticData?: IDataObject;
	/** 'trigger' (default): an active workflow's poll tick; 'manual': "Fetch test event" */
	mode?: 'trigger' | 'manual';
	/** n8n 2.41's durable poll cursors: static data is a per-poll copy, committed with the execution or on an empty poll */
	durableCursors?: boolean;
	/** default 'activate' ('manual' in manual mode) */
	activation?: WorkflowActivateMode;
	nodeName?: string;
	typeVersion?: number;
	/** default: one { id, name } reference per entry of `credentials` */
	nodeCredentials?: Record<string, { id: string | null; name: string }>;
	binaryMode?: 'filesystem' | 'default';
	/** workflow timezone, default 'UTC' */
	timezone?: string;
	getPollBudgetMs?: () => number;
}

export interface PollResult {
	items: INodeExecutionData[][] | null;
	/** what the active trigger emitted (null if poll() returned null, and always in manual mode) */
	emitted: INodeExecutionData[][] | null;
	/** 'trigger' mode: the object you passed, updated; 'manual' mode: a copy (yours is untouched) */
	staticData: IDataObject;
	/** whether poll() changed its static data */
	staticDataChanged: boolean;
	credentials: Record<string, StoredCredential>;
	credentialUpdates: Array<{ type: string; data: ICredentialDataDecryptedObject }>;
	logs: LogEntry[];
	engineLogs: LogEntry[];
	reportedErrors: ReportedError[];
}

export interface TestCredentialOptions {
	credentialType: CredentialTypeInput;
	/** the fields as typed in the credential dialog (defaults are applied like n8n does) */
	data: ICredentialDataDecryptedObject;
	/** parent types for `extends` */
	credentialTypes?: Record<string, CredentialTypeInput>;
	/** nodes that may define `testedBy` for this credential */
	nodeTypes?: Record<string, NodeTypeInput>;
}

export interface CredentialTestResult {
	status: 'OK' | 'Error';
	message: string;
	reportedErrors: unknown[];
}

export function runWorkflow(options: RunWorkflowOptions): Promise<WorkflowResult>;
/** A Manual Trigger node (type n8n-nodes-base.manualTrigger) to start a fixture with. */
export function manualTriggerNode(overrides?: Partial<INode>): INode;
export function pollOnce(options: PollOnceOptions): Promise<PollResult>;
export function testCredential(options: TestCredentialOptions): Promise<CredentialTestResult>;
/** Registers the n8n-core services in @n8n/di's Container (the run functions do it themselves). */
export function setupHarness(): Promise<unknown>;
/** Deletes the harness temp dir (done automatically after each jest test file). */
export function cleanupHarness(): void;
export function currentRun(): { id: string; logs: LogEntry[]; engineLogs: LogEntry[]; binaryMode: string } | undefined;

export const MANUAL_TRIGGER: 'n8n-nodes-base.manualTrigger';
export const NO_OP: 'n8n-nodes-base.noOp';
export const POLL_NODE_TYPE: 'n8n-nodes-harness.pollUnderTest';
export const ManualTrigger: new () => INodeType;
export const NoOp: new () => INodeType;
