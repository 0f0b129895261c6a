"""The exercises of 07_epoch_batch_step, their grade cells, and the answers tests/test_exercises.py
plays through them: every correct one must pass every cell, every wrong one fail exactly its cells."""

ASSIGNMENT = "07_epoch_batch_step"
STEPS = {"e07_steps_even", "e07_steps_uneven", "e07_steps_drop_last", "e07_steps_edge",
         "e07_steps_arithmetic"}
TOTAL = {"e07_total_notes", "e07_total_uneven", "e07_total_drop_last", "e07_total_edge"}
TRAIN = {"e07_train_loss", "e07_train_params", "e07_train_mode", "e07_train_steps"}
ACCUM = {"e07_accum_steps", "e07_accum_uneven", "e07_accum_edge", "e07_accum_errors"}
EXERCISES = {"steps_per_epoch": STEPS, "total_steps": TOTAL, "train_epoch": TRAIN,
             "train_with_accumulation": ACCUM}


CORRECT = {
    "steps with math.ceil and math.floor": """
        def steps_per_epoch(num_samples, batch_size, drop_last=False):
            if batch_size < 1 or num_samples < 0:
                raise ValueError("impossible arguments")
            if drop_last:
                return math.floor(num_samples / batch_size)
            return math.ceil(num_samples / batch_size)
    """,
    "steps with divmod": """
        def steps_per_epoch(num_samples, batch_size, drop_last=False):
            if num_samples < 0:
                raise ValueError("negative number of samples")
            if batch_size <= 0:
                raise ValueError("batch size must be positive")
            full, rest = divmod(num_samples, batch_size)
            return full + (1 if rest and not drop_last else 0)
    """,
    "steps with len(range)": """
        def steps_per_epoch(num_samples, batch_size, drop_last=False):
            if num_samples < 0 or batch_size < 1:
                raise ValueError("impossible arguments")
            usable = num_samples - num_samples % batch_size if drop_last else num_samples
            return len(range(0, usable, batch_size))
    """,
    "total through steps_per_epoch": """
        def total_steps(num_samples, batch_size, epochs, drop_last=False):
            return epochs * steps_per_epoch(num_samples, batch_size, drop_last)
    """,
    "total by adding up the epochs": """
        def total_steps(num_samples, batch_size, epochs, drop_last=False):
            total = 0
            per_epoch = steps_per_epoch(num_samples, batch_size, drop_last=drop_last)
            for _ in range(epochs):
                total += per_epoch
            return total
    """,
    "train with zero_grad at the end of each step": """
        def train_epoch(model, loader, loss_fn, optimizer):
            model.train()
            total, count = 0.0, 0
            for inputs, targets in loader:
                loss = loss_fn(model(inputs), targets)
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                total += loss.item() * inputs.size(0)
                count += inputs.size(0)
            return total / count
    """,
    "train with model.zero_grad and lists of losses and sizes": """
        def train_epoch(model, loader, loss_fn, optimizer):
            model.train()
            losses, sizes = [], []
            for x, y in loader:
                model.zero_grad()
                loss = loss_fn(model(x), y)
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
                sizes.append(len(y))
            return sum(l * n for l, n in zip(losses, sizes)) / sum(sizes)
    """,
    "train keeping a detached tensor total, converted at the end": """
        def train_epoch(model, loader, loss_fn, optimizer):
            model.train(True)
            total = torch.zeros(())
            count = 0
            for batch in loader:
                inputs, targets = batch
                optimizer.zero_grad(set_to_none=False)
                loss = loss_fn(model(inputs), targets)
                loss.backward()
                optimizer.step()
                total += loss.detach() * len(inputs)
                count += len(inputs)
            return float(total / count)
    """,
    "accumulation adding the summed losses, then dividing the gradients by the group's size": """
        def train_with_accumulation(model, loader, loss_fn, optimizer, accumulation_steps):
            if type(accumulation_steps) is not int or accumulation_steps < 1:
                raise ValueError("accumulation_steps must be a positive int")
            model.train()
            params = [p for group in optimizer.param_groups for p in group["params"]]
            steps, batches, examples = 0, 0, 0
            optimizer.zero_grad()
            for inputs, targets in loader:
                loss = loss_fn(model(inputs), targets)
                (loss * len(inputs)).backward()
                batches += 1
                examples += len(inputs)
                if batches == accumulation_steps:
                    for p in params:
                        if p.grad is not None:
                            p.grad /= examples
                    optimizer.step()
                    optimizer.zero_grad()
                    steps, batches, examples = steps + 1, 0, 0
            if batches:
                for p in params:
                    if p.grad is not None:
                        p.grad /= examples
                optimizer.step()
                optimizer.zero_grad()
                steps += 1
            return steps
    """,
    "accumulation as one big batch per group": """
        def train_with_accumulation(model, loader, loss_fn, optimizer, accumulation_steps):
            if isinstance(accumulation_steps, bool) or not isinstance(accumulation_steps, int):
                raise ValueError("accumulation_steps must be an int")
            if accumulation_steps < 1:
                raise ValueError("accumulation_steps must be at least 1")
            model.train()
            batches = list(loader)
            steps = 0
            for start in range(0, len(batches), accumulation_steps):
                group = batches[start:start + accumulation_steps]
                inputs = torch.cat([x for x, _ in group])
                targets = torch.cat([y for _, y in group])
                optimizer.zero_grad()
                loss_fn(model(inputs), targets).backward()
                optimizer.step()
                steps += 1
            return steps
    """,
    "accumulation with the group sizes counted first, divmod and model.zero_grad": """
        def train_with_accumulation(model, loader, loss_fn, optimizer, accumulation_steps):
            if isinstance(accumulation_steps, bool) or not isinstance(accumulation_steps, int) \\
                    or accumulation_steps <= 0:
                raise ValueError(f"bad accumulation_steps {accumulation_steps!r}")
            model.train()
            sizes = [len(targets) for _, targets in loader]
            totals = [sum(sizes[i:i + accumulation_steps])
                      for i in range(0, len(sizes), accumulation_steps)]
            for i, (inputs, targets) in enumerate(loader):
                group, position = divmod(i, accumulation_steps)
                if position == 0:
                    model.zero_grad()
                loss = loss_fn(model(inputs), targets) * len(targets) / totals[group]
                loss.backward()
                if position == accumulation_steps - 1 or i == len(sizes) - 1:
                    optimizer.step()
            return len(totals)
    """,
    "accumulation with itertools.islice and zero_grad(set_to_none=False)": """
        def train_with_accumulation(model, loader, loss_fn, optimizer, accumulation_steps):
            import itertools
            if not isinstance(accumulation_steps, int) or isinstance(accumulation_steps, bool) \\
                    or accumulation_steps < 1:
                raise ValueError("accumulation_steps must be an int >= 1")
            model.train(True)
            batches = iter(loader)
            steps = 0
            while group := list(itertools.islice(batches, accumulation_steps)):
                count = sum(x.shape[0] for x, _ in group)
                optimizer.zero_grad(set_to_none=False)
                for x, y in group:
                    (loss_fn(model(x), y) * x.shape[0] / count).backward()
                optimizer.step()
                steps += 1
            return steps
    """,
}


def _train(body_before_loop="model.train()", step_lines=None, result="total / count"):
    """A train_epoch whose parts can be swapped for a wrong version."""
    step_lines = step_lines or ["optimizer.zero_grad()", "loss = loss_fn(model(x), y)",
                                "loss.backward()", "optimizer.step()"]
    body = "\n".join(" " * 16 + line for line in step_lines)
    return f"""
        def train_epoch(model, loader, loss_fn, optimizer):
            {body_before_loop}
            total, count, losses = 0.0, 0, []
            for x, y in loader:
{body}
                total += loss.item() * len(x)
                count += len(x)
                losses.append(loss.item())
            return {result}
    """


_ACCUM_CHECK = ("if isinstance(accumulation_steps, bool) or not isinstance(accumulation_steps, int) "
                "or accumulation_steps < 1: raise ValueError('bad accumulation_steps')")


def _accum(check=_ACCUM_CHECK, train="model.train()", before_loop="pass", zero="optimizer.zero_grad()",
           weight="len(inputs) / total", each_batch="pass", once="optimizer.step()", after="pass",
           last="", result="steps"):
    """A train_with_accumulation whose parts can be swapped for a wrong version."""
    return f"""
        def train_with_accumulation(model, loader, loss_fn, optimizer, accumulation_steps):
            {check}
            {train}
            {before_loop}
            steps, batches, group = 0, 0, []

            def step_on(group):
                total = sum(len(inputs) for inputs, _ in group)
                {zero}
                for inputs, targets in group:
                    loss = loss_fn(model(inputs), targets)
                    (loss * ({weight})).backward()
                    {each_batch}
                {once}
                {after}

            for batch in loader:
                batches += 1
                group.append(batch)
                if len(group) == accumulation_steps:
                    step_on(group)
                    steps, group = steps + 1, []
            if group{last}:
                step_on(group)
                steps += 1
            return {result}
    """


WRONG = {
    # steps_per_epoch
    "steps by asking a DataLoader": ("steps_per_epoch", """
        def steps_per_epoch(num_samples, batch_size, drop_last=False):
            if num_samples < 0:
                raise ValueError("negative number of samples")
            return len(DataLoader(range(num_samples), batch_size=batch_size, drop_last=drop_last))
    """),
    "steps by counting a DataLoader's batches": ("steps_per_epoch", """
        def steps_per_epoch(num_samples, batch_size, drop_last=False):
            if num_samples < 0 or batch_size < 1:
                raise ValueError("impossible arguments")
            return sum(1 for _ in DataLoader(range(num_samples), batch_size=batch_size, drop_last=drop_last))
    """),
    "steps always rounds down": ("steps_per_epoch", """
        def steps_per_epoch(num_samples, batch_size, drop_last=False):
            if batch_size < 1 or num_samples < 0:
                raise ValueError("impossible arguments")
            return num_samples // batch_size
    """),
    "steps always rounds up": ("steps_per_epoch", """
        def steps_per_epoch(num_samples, batch_size, drop_last=False):
            if batch_size < 1 or num_samples < 0:
                raise ValueError("impossible arguments")
            return -(-num_samples // batch_size)
    """),
    "steps as a float division": ("steps_per_epoch", """
        def steps_per_epoch(num_samples, batch_size, drop_last=False):
            if batch_size < 1 or num_samples < 0:
                raise ValueError("impossible arguments")
            return num_samples / batch_size
    """),
    "steps rounded up but returned as a float": ("steps_per_epoch", """
        def steps_per_epoch(num_samples, batch_size, drop_last=False):
            if batch_size < 1 or num_samples < 0:
                raise ValueError("impossible arguments")
            if drop_last:
                return float(num_samples // batch_size)
            return float(math.ceil(num_samples / batch_size))
    """),
    "steps without any ValueError": ("steps_per_epoch", """
        def steps_per_epoch(num_samples, batch_size, drop_last=False):
            if drop_last:
                return num_samples // batch_size
            return math.ceil(num_samples / batch_size)
    """),
    "steps without the ValueError for negative num_samples": ("steps_per_epoch", """
        def steps_per_epoch(num_samples, batch_size, drop_last=False):
            if batch_size < 1:
                raise ValueError("batch size must be at least 1")
            if drop_last:
                return num_samples // batch_size
            return math.ceil(num_samples / batch_size)
    """),
    "steps rounded to the nearest integer": ("steps_per_epoch", """
        def steps_per_epoch(num_samples, batch_size, drop_last=False):
            if batch_size < 1 or num_samples < 0:
                raise ValueError("impossible arguments")
            return num_samples // batch_size if drop_last else round(num_samples / batch_size)
    """),
    "steps always one more than the full batches": ("steps_per_epoch", """
        def steps_per_epoch(num_samples, batch_size, drop_last=False):
            if batch_size < 1 or num_samples < 0:
                raise ValueError("impossible arguments")
            return num_samples // batch_size + (0 if drop_last else 1)
    """),
    "steps gives at least one step": ("steps_per_epoch", """
        def steps_per_epoch(num_samples, batch_size, drop_last=False):
            if batch_size < 1 or num_samples < 0:
                raise ValueError("impossible arguments")
            steps = num_samples // batch_size if drop_last else -(-num_samples // batch_size)
            return max(steps, 1)
    """),
    # total_steps
    "total forgets drop_last": ("total_steps", """
        def total_steps(num_samples, batch_size, epochs, drop_last=False):
            if batch_size < 1 or num_samples < 0:
                raise ValueError("impossible arguments")
            return epochs * math.ceil(num_samples / batch_size)
    """),
    "total rounds the whole run up once": ("total_steps", """
        def total_steps(num_samples, batch_size, epochs, drop_last=False):
            if batch_size < 1 or num_samples < 0:
                raise ValueError("impossible arguments")
            if drop_last:
                return epochs * (num_samples // batch_size)
            return math.ceil(num_samples * epochs / batch_size)
    """),
    "total rounds the whole run, up or down": ("total_steps", """
        def total_steps(num_samples, batch_size, epochs, drop_last=False):
            if batch_size < 1 or num_samples < 0:
                raise ValueError("impossible arguments")
            if drop_last:
                return num_samples * epochs // batch_size
            return math.ceil(num_samples * epochs / batch_size)
    """),
    "total with the formula E * (N / B)": ("total_steps", """
        def total_steps(num_samples, batch_size, epochs, drop_last=False):
            if batch_size < 1 or num_samples < 0:
                raise ValueError("impossible arguments")
            return epochs * (num_samples / batch_size)
    """),
    "total forgets the epochs": ("total_steps", """
        def total_steps(num_samples, batch_size, epochs, drop_last=False):
            if batch_size < 1 or num_samples < 0:
                raise ValueError("impossible arguments")
            return num_samples // batch_size if drop_last else -(-num_samples // batch_size)
    """),
    "total without any ValueError": ("total_steps", """
        def total_steps(num_samples, batch_size, epochs, drop_last=False):
            per_epoch = num_samples // batch_size if drop_last else -(-num_samples // batch_size)
            return epochs * per_epoch
    """),
    # train_epoch
    "train without zero_grad": ("train_epoch", _train(
        step_lines=["loss = loss_fn(model(x), y)", "loss.backward()", "optimizer.step()"])),
    "train without model.train()": ("train_epoch", _train(body_before_loop="pass")),
    "train sets model.training by hand": ("train_epoch", _train(
        body_before_loop="model.training = True")),
    "train calls model.train() after the loop": ("train_epoch", """
        def train_epoch(model, loader, loss_fn, optimizer):
            total, count = 0.0, 0
            for x, y in loader:
                optimizer.zero_grad()
                loss = loss_fn(model(x), y)
                loss.backward()
                optimizer.step()
                total += loss.item() * len(x)
                count += len(x)
            model.train()
            return total / count
    """),
    "train returns the last batch's loss": ("train_epoch", _train(result="loss.item()")),
    "train returns the unweighted mean of batch losses": ("train_epoch", _train(
        result="sum(losses) / len(losses)")),
    "train returns the sum of batch losses": ("train_epoch", _train(result="sum(losses)")),
    "train returns a tensor": ("train_epoch", _train(result="torch.tensor(total / count)")),
    "train returns the last loss tensor": ("train_epoch", _train(result="loss")),
    "train divides by len(loader.dataset)": ("train_epoch", _train(
        result="total / len(loader.dataset)")),
    "train divides by len(loader) * batch_size": ("train_epoch", _train(
        result="total / (len(loader) * loader.batch_size)")),
    "train zeroes the gradients between backward and step": ("train_epoch", _train(
        step_lines=["loss = loss_fn(model(x), y)", "loss.backward()", "optimizer.zero_grad()",
                    "optimizer.step()"])),
    "train steps before backward": ("train_epoch", _train(
        step_lines=["optimizer.zero_grad()", "loss = loss_fn(model(x), y)", "optimizer.step()",
                    "loss.backward()"])),
    "train never steps": ("train_epoch", _train(
        step_lines=["optimizer.zero_grad()", "loss = loss_fn(model(x), y)", "loss.backward()"])),
    "train steps once per epoch": ("train_epoch", """
        def train_epoch(model, loader, loss_fn, optimizer):
            model.train()
            optimizer.zero_grad()
            total, count, weighted = 0.0, 0, 0
            for x, y in loader:
                loss = loss_fn(model(x), y)
                weighted = weighted + loss * len(x)
                total += loss.item() * len(x)
                count += len(x)
            (weighted / count).backward()
            optimizer.step()
            return total / count
    """),
    # train_with_accumulation
    "accumulation sums the batch losses": ("train_with_accumulation", _accum(weight="1")),
    "accumulation weights by batch size but never divides": ("train_with_accumulation", _accum(
        weight="len(inputs)")),
    "accumulation divides by accumulation_steps": ("train_with_accumulation", _accum(
        weight="1 / accumulation_steps")),
    "accumulation divides by the number of batches in the group": ("train_with_accumulation", _accum(
        weight="1 / len(group)")),
    "accumulation divides by accumulation_steps * batch_size": ("train_with_accumulation", _accum(
        weight="len(inputs) / (accumulation_steps * loader.batch_size)")),
    "accumulation divides by the size of the data set": ("train_with_accumulation", _accum(
        weight="len(inputs) / len(loader.dataset)")),
    "accumulation steps on every batch": ("train_with_accumulation", _accum(
        each_batch="optimizer.step()", once="pass")),
    "accumulation forgets the last shorter group": ("train_with_accumulation", _accum(
        last=" and len(group) == accumulation_steps")),
    "accumulation zeroes only once, before the loop": ("train_with_accumulation", _accum(
        before_loop="optimizer.zero_grad()", zero="pass")),
    "accumulation zeroes only after each step": ("train_with_accumulation", _accum(
        zero="pass", after="optimizer.zero_grad()")),
    "accumulation returns the number of batches": ("train_with_accumulation", _accum(result="batches")),
    "accumulation without model.train()": ("train_with_accumulation", _accum(train="pass")),
    "accumulation sets model.training by hand": ("train_with_accumulation", _accum(
        train="model.training = True")),
    "accumulation without any ValueError": ("train_with_accumulation", _accum(check="pass")),
    "accumulation refuses only numbers below 1": ("train_with_accumulation", _accum(
        check="if accumulation_steps < 1: raise ValueError('accumulation_steps must be at least 1')")),
}


# The cell whose hint explains the mistake must be among those that fail.
EXPLAINED_BY = {
    "steps by asking a DataLoader": "e07_steps_arithmetic",
    "steps always rounds down": "e07_steps_uneven",
    "steps always rounds up": "e07_steps_drop_last",
    "steps as a float division": "e07_steps_uneven",
    "steps without any ValueError": "e07_steps_edge",
    "total forgets drop_last": "e07_total_drop_last",
    "total rounds the whole run up once": "e07_total_uneven",
    "total with the formula E * (N / B)": "e07_total_uneven",
    "train without zero_grad": "e07_train_steps",
    "train without model.train()": "e07_train_mode",
    "train returns the last batch's loss": "e07_train_loss",
    "train returns the unweighted mean of batch losses": "e07_train_loss",
    "train returns a tensor": "e07_train_loss",
    "train steps once per epoch": "e07_train_steps",
    "train divides by len(loader.dataset)": "e07_train_loss",
    "accumulation sums the batch losses": "e07_accum_steps",
    "accumulation divides by accumulation_steps": "e07_accum_uneven",
    "accumulation divides by the number of batches in the group": "e07_accum_uneven",
    "accumulation steps on every batch": "e07_accum_steps",
    "accumulation forgets the last shorter group": "e07_accum_uneven",
    "accumulation zeroes only after each step": "e07_accum_edge",
    "accumulation returns the number of batches": "e07_accum_steps",
    "accumulation without model.train()": "e07_accum_edge",
    "accumulation without any ValueError": "e07_accum_errors",
}


# Exactly the grade cells each wrong answer fails (tests/test_exercises.py checks that it fails no
# other and that they belong to its exercise, or to MAY_ALSO_FAIL).
WRONG_FAILS = {
    "steps by asking a DataLoader": {"e07_steps_arithmetic"},
    "steps by counting a DataLoader's batches": {"e07_steps_arithmetic"},
    "steps always rounds down": {"e07_steps_uneven"},
    "steps always rounds up": {"e07_steps_drop_last"},
    "steps as a float division":
        {"e07_steps_drop_last", "e07_steps_edge", "e07_steps_even", "e07_steps_uneven"},
    "steps rounded up but returned as a float":
        {"e07_steps_drop_last", "e07_steps_edge", "e07_steps_even", "e07_steps_uneven"},
    "steps without any ValueError": {"e07_steps_edge"},
    "steps without the ValueError for negative num_samples": {"e07_steps_edge"},
    "steps rounded to the nearest integer": {"e07_steps_uneven"},
    "steps always one more than the full batches": {"e07_steps_edge", "e07_steps_even", "e07_steps_uneven"},
    "steps gives at least one step": {"e07_steps_drop_last", "e07_steps_edge"},
    "total forgets drop_last": {"e07_total_drop_last"},
    "total rounds the whole run up once": {"e07_total_uneven"},
    "total rounds the whole run, up or down": {"e07_total_drop_last", "e07_total_uneven"},
    "total with the formula E * (N / B)":
        {"e07_total_drop_last", "e07_total_edge", "e07_total_notes", "e07_total_uneven"},
    "total forgets the epochs":
        {"e07_total_drop_last", "e07_total_edge", "e07_total_notes", "e07_total_uneven"},
    "total without any ValueError": {"e07_total_edge"},
    "train without zero_grad": {"e07_train_loss", "e07_train_params", "e07_train_steps"},
    "train without model.train()": {"e07_train_mode"},
    "train sets model.training by hand": {"e07_train_mode"},
    "train calls model.train() after the loop": {"e07_train_mode"},
    "train returns the last batch's loss": {"e07_train_loss"},
    "train returns the unweighted mean of batch losses": {"e07_train_loss"},
    "train returns the sum of batch losses": {"e07_train_loss"},
    "train returns a tensor": {"e07_train_loss"},
    "train returns the last loss tensor": {"e07_train_loss"},
    "train divides by len(loader.dataset)": {"e07_train_loss"},
    "train divides by len(loader) * batch_size": {"e07_train_loss"},
    "train zeroes the gradients between backward and step":
        {"e07_train_loss", "e07_train_params", "e07_train_steps"},
    "train steps before backward": {"e07_train_loss", "e07_train_params", "e07_train_steps"},
    "train never steps": {"e07_train_loss", "e07_train_params", "e07_train_steps"},
    "train steps once per epoch": {"e07_train_loss", "e07_train_params", "e07_train_steps"},
    "accumulation sums the batch losses": ACCUM - {"e07_accum_errors"},
    "accumulation weights by batch size but never divides": ACCUM - {"e07_accum_errors"},
    "accumulation divides by accumulation_steps": {"e07_accum_edge", "e07_accum_uneven"},
    "accumulation divides by the number of batches in the group": {"e07_accum_edge", "e07_accum_uneven"},
    "accumulation divides by accumulation_steps * batch_size": {"e07_accum_edge", "e07_accum_uneven"},
    "accumulation divides by the size of the data set": ACCUM - {"e07_accum_errors"},
    "accumulation steps on every batch": ACCUM - {"e07_accum_errors"},
    "accumulation forgets the last shorter group": {"e07_accum_edge", "e07_accum_uneven"},
    "accumulation zeroes only once, before the loop": ACCUM - {"e07_accum_errors"},
    "accumulation zeroes only after each step": {"e07_accum_edge"},
    "accumulation returns the number of batches": ACCUM - {"e07_accum_errors"},
    "accumulation without model.train()": {"e07_accum_edge"},
    "accumulation sets model.training by hand": {"e07_accum_edge"},
    "accumulation without any ValueError": {"e07_accum_errors"},
    "accumulation refuses only numbers below 1": {"e07_accum_errors"},
}


# A second review: more correct accumulations written in other ways, and more wrong ones.
CORRECT.update({
    "accumulation as a running mean of the gradients, streaming": """
        def train_with_accumulation(model, loader, loss_fn, optimizer, accumulation_steps):
            if isinstance(accumulation_steps, bool) or not isinstance(accumulation_steps, int) \
                    or accumulation_steps < 1:
                raise ValueError("accumulation_steps must be an int >= 1")
            model.train()
            params = list(model.parameters())
            steps, in_group, seen = 0, 0, 0
            for inputs, targets in loader:
                if in_group == 0:
                    optimizer.zero_grad()
                b = len(inputs)
                with torch.no_grad():                  # rescale the mean so far to its share
                    for p in params:
                        if p.grad is not None:
                            p.grad.mul_(seen / (seen + b))
                (loss_fn(model(inputs), targets) * (b / (seen + b))).backward()
                seen += b
                in_group += 1
                if in_group == accumulation_steps:
                    optimizer.step()
                    steps, in_group, seen = steps + 1, 0, 0
            if in_group:
                optimizer.step()
                steps += 1
            return steps
    """,
    "accumulation with a while loop over a list, grads set to None by hand": """
        def train_with_accumulation(model, loader, loss_fn, optimizer, accumulation_steps):
            if type(accumulation_steps) != int or accumulation_steps <= 0:
                raise ValueError(f"accumulation_steps={accumulation_steps!r} is not a positive int")
            model.train()
            batches = [batch for batch in loader]
            i = steps = 0
            while i < len(batches):
                group = batches[i:i + accumulation_steps]
                i += accumulation_steps
                for p in model.parameters():
                    p.grad = None
                n = sum(t.shape[0] for _, t in group)
                for x, t in group:
                    loss = loss_fn(model(x), t)
                    loss.mul(x.shape[0]).div(n).backward()
                optimizer.step()
                steps = steps + 1
            return steps
    """,
    "accumulation with enumerate, sizes peeked from a first pass, step on (i + 1) % k": """
        def train_with_accumulation(model, loader, loss_fn, optimizer, accumulation_steps):
            if isinstance(accumulation_steps, bool) or not isinstance(accumulation_steps, int):
                raise ValueError("accumulation_steps must be an int")
            if accumulation_steps < 1:
                raise ValueError("accumulation_steps must be at least 1")
            model.train()
            sizes = [len(y) for _, y in loader]
            n = len(sizes)
            steps = 0
            for i, (x, y) in enumerate(loader):
                if i % accumulation_steps == 0:
                    optimizer.zero_grad()
                    start = i
                    group_total = sum(sizes[start:start + accumulation_steps])
                loss = loss_fn(model(x), y)
                (loss * len(y) / group_total).backward()
                if (i + 1) % accumulation_steps == 0 or i + 1 == n:
                    optimizer.step()
                    steps += 1
            return steps
    """,
    "accumulation with the summed losses of a group in one backward": """
        def train_with_accumulation(model, loader, loss_fn, optimizer, accumulation_steps):
            if isinstance(accumulation_steps, bool) or not isinstance(accumulation_steps, int) \
                    or accumulation_steps < 1:
                raise ValueError("bad accumulation_steps")
            model.train()
            batches = list(loader)
            groups = [batches[i:i + accumulation_steps] for i in range(0, len(batches), accumulation_steps)]
            for group in groups:
                optimizer.zero_grad()
                total = sum(len(x) for x, _ in group)
                weighted = sum(loss_fn(model(x), y) * len(x) for x, y in group)
                (weighted / total).backward()
                optimizer.step()
            return len(groups)
    """,
})

WRONG.update({
    "accumulation zeroes the gradients before every batch": ("train_with_accumulation", """
        def train_with_accumulation(model, loader, loss_fn, optimizer, accumulation_steps):
            if isinstance(accumulation_steps, bool) or not isinstance(accumulation_steps, int) \
                    or accumulation_steps < 1:
                raise ValueError("bad accumulation_steps")
            model.train()
            batches = list(loader)
            steps = 0
            for start in range(0, len(batches), accumulation_steps):
                group = batches[start:start + accumulation_steps]
                total = sum(len(x) for x, _ in group)
                for x, y in group:
                    optimizer.zero_grad()
                    (loss_fn(model(x), y) * len(x) / total).backward()
                optimizer.step()
                steps += 1
            return steps
    """),
    "accumulation the usual loss / k way, step on (i + 1) % k only": ("train_with_accumulation", """
        def train_with_accumulation(model, loader, loss_fn, optimizer, accumulation_steps):
            if isinstance(accumulation_steps, bool) or not isinstance(accumulation_steps, int) \
                    or accumulation_steps < 1:
                raise ValueError("bad accumulation_steps")
            model.train()
            optimizer.zero_grad()
            steps = 0
            for i, (x, y) in enumerate(loader):
                (loss_fn(model(x), y) / accumulation_steps).backward()
                if (i + 1) % accumulation_steps == 0:
                    optimizer.step()
                    optimizer.zero_grad()
                    steps += 1
            return steps
    """),
    "accumulation steps when i % k == 0 (after the first batch)": ("train_with_accumulation", """
        def train_with_accumulation(model, loader, loss_fn, optimizer, accumulation_steps):
            if isinstance(accumulation_steps, bool) or not isinstance(accumulation_steps, int) \
                    or accumulation_steps < 1:
                raise ValueError("bad accumulation_steps")
            model.train()
            optimizer.zero_grad()
            steps, seen, pending = 0, 0, False
            params = list(model.parameters())
            for i, (x, y) in enumerate(loader):
                (loss_fn(model(x), y) * len(x)).backward()
                seen += len(x)
                pending = True
                if i % accumulation_steps == 0:
                    for p in params:
                        p.grad /= seen
                    optimizer.step()
                    optimizer.zero_grad()
                    steps, seen, pending = steps + 1, 0, False
            if pending:
                for p in params:
                    p.grad /= seen
                optimizer.step()
                steps += 1
            return steps
    """),
    "accumulation weights a batch by the group's examples so far": ("train_with_accumulation", """
        def train_with_accumulation(model, loader, loss_fn, optimizer, accumulation_steps):
            if isinstance(accumulation_steps, bool) or not isinstance(accumulation_steps, int) \
                    or accumulation_steps < 1:
                raise ValueError("bad accumulation_steps")
            model.train()
            steps, count, seen = 0, 0, 0
            for x, y in loader:
                if count == 0:
                    optimizer.zero_grad()
                seen += len(x)
                (loss_fn(model(x), y) * len(x) / seen).backward()
                count += 1
                if count == accumulation_steps:
                    optimizer.step()
                    steps, count, seen = steps + 1, 0, 0
            if count:
                optimizer.step()
                steps += 1
            return steps
    """),
    "accumulation returns len(loader) // accumulation_steps": ("train_with_accumulation", """
        def train_with_accumulation(model, loader, loss_fn, optimizer, accumulation_steps):
            if isinstance(accumulation_steps, bool) or not isinstance(accumulation_steps, int) \
                    or accumulation_steps < 1:
                raise ValueError("bad accumulation_steps")
            model.train()
            batches = list(loader)
            for start in range(0, len(batches), accumulation_steps):
                group = batches[start:start + accumulation_steps]
                optimizer.zero_grad()
                total = sum(len(x) for x, _ in group)
                for x, y in group:
                    (loss_fn(model(x), y) * len(x) / total).backward()
                optimizer.step()
            return len(batches) // accumulation_steps
    """),
    "accumulation checks accumulation_steps only after training": ("train_with_accumulation", """
        def train_with_accumulation(model, loader, loss_fn, optimizer, accumulation_steps):
            model.train()
            steps, group = 0, []
            def step_on(group):
                total = sum(len(x) for x, _ in group)
                optimizer.zero_grad()
                for x, y in group:
                    (loss_fn(model(x), y) * len(x) / total).backward()
                optimizer.step()
            for batch in loader:
                group.append(batch)
                if len(group) == accumulation_steps:
                    step_on(group)
                    steps, group = steps + 1, []
            if group:
                step_on(group)
                steps += 1
            if isinstance(accumulation_steps, bool) or not isinstance(accumulation_steps, int) \
                    or accumulation_steps < 1:
                raise ValueError("bad accumulation_steps")
            return steps
    """),
})

EXPLAINED_BY.update({
    "accumulation the usual loss / k way, step on (i + 1) % k only": "e07_accum_uneven",
    "accumulation checks accumulation_steps only after training": "e07_accum_errors",
})

WRONG_FAILS.update({
    "accumulation zeroes the gradients before every batch": ACCUM - {"e07_accum_errors"},
    "accumulation the usual loss / k way, step on (i + 1) % k only": {"e07_accum_edge", "e07_accum_uneven"},
    "accumulation steps when i % k == 0 (after the first batch)": ACCUM - {"e07_accum_errors"},
    "accumulation weights a batch by the group's examples so far": ACCUM - {"e07_accum_errors"},
    "accumulation returns len(loader) // accumulation_steps": {"e07_accum_edge", "e07_accum_uneven"},
    "accumulation checks accumulation_steps only after training": {"e07_accum_errors"},
})
