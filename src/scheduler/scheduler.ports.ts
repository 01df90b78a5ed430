/**
 * What the built-in tasks need from other domains. src/services.ts wires each port to the
 * owning domain's service; the scheduler never reads another domain's tables.
 */

/** Channels: try to reconnect every enabled channel that is down, then report. */
export interface ChannelsHealthPort {
  reconnectDisconnected(): Promise<{ enabled: string[]; disconnected: string[] }>;
}

export interface AgentsHealthPort {
  countInError(): number | Promise<number>;
}

export interface LastBuild {
  workflow: string;
  branch: string;
  conclusion: string | null;
  sha: string;
  url: string;
  at: string;
}

export interface BuildReportProject {
  orgId: string;
  id: string;
  /** `owner/name` */
  repo: string;
  defaultBranch: string;
}

export interface ProjectsBuildPort {
  listForBuildReport(): BuildReportProject[] | Promise<BuildReportProject[]>;
  setLastBuild(orgId: string, projectId: string, build: LastBuild): void | Promise<void>;
}

/** The fields of GitHub's workflow-run object the build report reads. */
export interface WorkflowRun {
  name: string | null;
  head_branch: string | null;
  conclusion: string | null;
  head_sha: string;
  html_url: string;
  updated_at: string;
}

export interface WorkflowRunsPort {
  latestWorkflowRun(owner: string, repo: string, branch: string): Promise<WorkflowRun | null>;
}

export interface SchedulerPorts {
  channels: ChannelsHealthPort;
  agents: AgentsHealthPort;
  projects: ProjectsBuildPort;
  github: WorkflowRunsPort;
}
