/**
 * The runs and entities each repair job touches (`RepairJobs` writes them with the job): a job
 * waits while an earlier unfinished job shares one of its subjects, and this table makes that
 * question a lookup rather than a scan.
 */
import { Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { RepairJobEntity } from './repair-job.entity';

@Entity({ name: 'repair_job_subjects' })
@Index('ix_repair_job_subjects_job', ['jobId'])
export class RepairJobSubjectEntity {
  /**
   * `run:<run id>`, `entity:<[type, external id]>` or `finding:<id>`; first in the key, so that
   * the jobs sharing a subject are adjacent in it.
   */
  @PrimaryColumn({
    name: 'subject_key',
    type: 'text',
    primaryKeyConstraintName: 'repair_job_subjects_pkey',
  })
  subjectKey!: string;

  @PrimaryColumn({
    name: 'job_id',
    type: 'uuid',
    primaryKeyConstraintName: 'repair_job_subjects_pkey',
  })
  jobId!: string;

  /** The subjects go with their job. Mapped for the foreign key only: code reads `jobId`. */
  @ManyToOne(() => RepairJobEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'job_id', foreignKeyConstraintName: 'repair_job_subjects_job_id_fkey' })
  job!: RepairJobEntity;
}
