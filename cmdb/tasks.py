"""CMDB tasks: ids in, one service call each."""

from celery import shared_task


@shared_task(name="cmdb.import_process", acks_late=True)
def import_process_task(job_id: int) -> None:
    from .services.imports import import_process

    import_process(job_id=job_id)


@shared_task(name="cmdb.imports_resume")
def imports_resume_task() -> int:
    from .services.imports import imports_resume

    return imports_resume()
