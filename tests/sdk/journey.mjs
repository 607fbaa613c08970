// A shopper's journey through the real @fleetbase/storefront SDK, driven by
// tests/sdk/test_sdk_journeys.py against Django's live server.
//
// Environment: SDK_HOST (the live server's URL), SDK_KEY (a store_… or network_… publishable
// key), SDK_JOURNEY ("shopper" or "network_orders"), SDK_INPUT (JSON: the journey's data),
// SDK_STEP_MS (each step's time limit, 10 s by default).
//
// The line protocol: every line this script writes for pytest starts with "@sdk " and holds
// one JSON object (anything else on stdout, or on stderr, is only kept for the failure report):
//   {"step": name, "ok": true, "result": …}      a step's answer, as the SDK returned it
//   {"step": name, "ok": false, "error": "…"}    a step that threw, timed out or was skipped
//   {"need": "code", "identity": "…"}            asks for the last code sent to that email/phone
//   {"need": "enrolment", "customer": "…"}       asks the store to enrol the customer in a card
//   {"done": true}                               the journey is over
// pytest answers each "need" with one JSON line on stdin ({"code": "123456"}, {"ok": true}, or
// {"error": "…"}). Every step and every wait for an answer is bounded by SDK_STEP_MS.
import readline from 'node:readline';
import Storefront, { Network } from '@fleetbase/storefront';

const STEP_MS = Number(process.env.SDK_STEP_MS || 10000);
const input = JSON.parse(process.env.SDK_INPUT || '{}');

function emit(message) {
    process.stdout.write(`@sdk ${JSON.stringify(message)}\n`);
}

function withTimeout(promise, what) {
    let timer;
    const timeout = new Promise((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within ${STEP_MS} ms`)), STEP_MS);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Answers from pytest, one JSON line each, in the order they were asked for.
const answers = [];
const waiting = [];
const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
    const answer = JSON.parse(line);
    const resolve = waiting.shift();
    if (resolve) resolve(answer);
    else answers.push(answer);
});

async function ask(need) {
    emit(need);
    const answer = answers.length ? answers.shift() : await withTimeout(new Promise((resolve) => waiting.push(resolve)), `pytest's answer to ${need.need}`);
    if (answer.error) throw new Error(answer.error);
    return answer;
}

// What the SDK returned, as plain JSON: a resource's attributes, a collection's resources.
function plain(value) {
    if (Array.isArray(value)) return Array.from(value, plain);
    if (value && typeof value === 'object' && value.attributes && typeof value.getAttribute === 'function') return value.attributes;
    return value;
}

const results = {};

// Runs one step: its answer (or error) goes to pytest; a step whose prerequisite failed is
// reported as skipped, so one failure never hangs or hides the rest of the journey.
async function step(name, needs, run) {
    const missing = needs.filter((need) => results[need] === undefined);
    if (missing.length) {
        emit({ step: name, ok: false, error: `skipped: ${missing.join(', ')} failed` });
        return undefined;
    }
    try {
        const value = await withTimeout(Promise.resolve().then(run), name);
        results[name] = value === undefined ? null : value;
        emit({ step: name, ok: true, result: plain(value) ?? null });
        return value;
    } catch (error) {
        emit({ step: name, ok: false, error: String(error?.message || error) });
        return undefined;
    }
}

const storefront = new Storefront(process.env.SDK_KEY, { host: process.env.SDK_HOST });
const adapter = storefront.getAdapter();
if (adapter.axiosInstance) adapter.axiosInstance.defaults.timeout = STEP_MS;

// As an app does after a login: the customer's token goes with every later call of the SDK.
function signIn(customer) {
    adapter.setHeaders({ 'Customer-Token': customer.token });
    return customer;
}

async function shopper() {
    const { email, phone, password, name, place, review_subject: reviewSubject, order } = input;
    await step('about', [], () => storefront.about());
    await step('products', [], () => storefront.products.findAll());

    await step('request_creation_code', [], () => storefront.customers.requestCreationCode(email, 'email'));
    const registered = await step('register', ['request_creation_code'], async () => {
        const { code } = await ask({ need: 'code', identity: email });
        return signIn(await storefront.customers.create(email, code, { name, password, phone }));
    });
    // Registration by email leaves the phone pending until its own code confirms it.
    await step('verify_phone', ['register'], async () => {
        const { code } = await ask({ need: 'code', identity: phone });
        return registered.performAuthorizedRequest(`customers/${registered.id}/verify-contact`, { identity: phone, code }, 'POST');
    });

    await step('password_login', ['register'], async () => signIn(await storefront.customers.login(email, password)));
    await step('sms_login_request', ['verify_phone'], () => storefront.customers.login(phone));
    const customer = await step('sms_login', ['sms_login_request'], async () => {
        const { code } = await ask({ need: 'code', identity: phone });
        return signIn(await storefront.customers.verifyCode(phone, code));
    });

    await step('profile_update', ['sms_login'], async () => {
        // The SDK replaces the customer's attributes with the answer: the answer carries the
        // caller's own token, so the calls after it still send one.
        const token = customer.token;
        const updated = await customer.update({ name: 'Grace Murray Hopper', meta: { team: 'navy' } });
        if (customer.token !== token) throw new Error('the update lost the customer token');
        return updated;
    });
    await step('retrieve', ['sms_login'], () => storefront.customers.retrieve(customer.id));

    const saved = await step('place_save', ['sms_login'], () => customer.performAuthorizedRequest('customers/places', place, 'POST'));
    await step('places', ['place_save'], () => customer.getSavedPlaces());

    await step('order', ['place_save'], () =>
        customer.performAuthorizedRequest('orders', { ...order, shipping_address: saved.id }, 'POST')
    );
    await step('order_history', ['sms_login'], () => customer.getOrderHistory());

    await step('cards', ['sms_login'], async () => {
        await ask({ need: 'enrolment', customer: customer.id });
        return customer.performAuthorizedRequest('customers/cards');
    });

    await step('review', ['sms_login'], () =>
        storefront.reviews.create({ subject: reviewSubject, rating: 5, content: 'Strong coffee, kind staff.' })
    );
    await step('reviews', ['review'], () => storefront.reviews.query({ subject: reviewSubject }));
    // The whole store's (or network's) summary, as an app shows it beside the store's name.
    await step('review_count', ['review', 'about'], () => storefront.reviews.count(results.about.id));
}

async function networkOrders() {
    const { email, password, stores, orders } = input;
    const about = await step('about', [], () => storefront.about());
    await step('stores', ['about'], () => new Network(about, adapter).getStores());
    for (const store of stores) {
        await step(`products ${store}`, [], () => storefront.products.query({ store }));
    }
    const customer = await step('password_login', [], async () => signIn(await storefront.customers.login(email, password)));
    for (const order of orders) {
        await step(`order ${order.store}`, ['password_login'], () => customer.performAuthorizedRequest('orders', order, 'POST'));
    }
    await step('order_history', ['password_login'], () => customer.getOrderHistory());
    // The network's card, stamped at one member store and redeemed at the other by their back
    // office (the management API), then read by the shopper.
    await step('cards', ['password_login'], async () => {
        await ask({ need: 'stamp_and_redeem', customer: customer.id });
        return customer.performAuthorizedRequest('customers/cards');
    });
}

const journeys = { shopper, network_orders: networkOrders };
const journey = journeys[process.env.SDK_JOURNEY];
if (!journey) {
    emit({ step: 'start', ok: false, error: `unknown journey ${process.env.SDK_JOURNEY}` });
} else {
    await journey();
}
emit({ done: true });
process.exit(0);
