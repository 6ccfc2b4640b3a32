"""A helper module of the processing job's source_dir."""


def scale(numbers, factor):
    scaled = []
    for n in numbers:
        scaled.append(n * factor)
    return scaled  # framework helper breakpoint
