/* SPDX-License-Identifier: MIT */
/* Kept apart from libbpf: libpcap's bpf.h and the kernel's do not mix. */
#include "xdp_corpus.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>
#include <pcap/pcap.h>

#include "esop.h"
#include "esop_fixtures.h"

static int name_index(const char *const *names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

/* One TSV row into @f; -EPROTO when a field is not what the header says. */
static int tsv_row(char *line, size_t idx, struct esop_fixture *f)
{
	char name[64], parse[32], reason[32], verdict[32];
	unsigned int i, type, dev, app, len;

	if (sscanf(line, "%u\t%63s\t%31s\t%31s\t%31s\t%u\t%u\t%u\t%u", &i, name,
		   parse, reason, verdict, &type, &dev, &app, &len) != 9 || i != idx)
		return -EPROTO;
	memcpy(f->name, name, sizeof(name));
	f->parse = name_index(esop_verdict_names, ESOP_V__COUNT, parse);
	f->reason = name_index(esop_drop_names, ESOP_DROP__COUNT, reason);
	f->verdict = name_index(esop_verdict_names, ESOP_V__COUNT, verdict);
	f->type = (uint8_t)type;
	f->device_id = dev;
	f->app_id = (uint16_t)app;
	f->len = (uint16_t)len;
	return f->parse < 0 || f->reason < 0 || f->verdict < 0 ? -EPROTO : 0;
}

int xdp_corpus_read(const char *pcap_path, const char *tsv_path,
		    struct esop_fixture **out, size_t *n)
{
	char errbuf[PCAP_ERRBUF_SIZE], line[512];
	struct esop_fixture *fx = NULL;
	size_t k = 0, cap = 0;
	struct pcap_pkthdr *h;
	const u_char *data;
	FILE *tsv;
	pcap_t *pc;
	int err = 0;

	tsv = fopen(tsv_path, "r");
	if (!tsv)
		return -errno;
	pc = pcap_open_offline(pcap_path, errbuf);
	if (!pc) {
		fclose(tsv);
		return -ENOENT;
	}
	if (!fgets(line, sizeof(line), tsv))	/* the header */
		err = -EPROTO;
	while (!err && pcap_next_ex(pc, &h, &data) == 1) {
		if (k == cap) {
			struct esop_fixture *m = realloc(fx, (cap ? 2 * cap : 256) * sizeof(*m));

			if (!m) {
				err = -ENOMEM;
				break;
			}
			fx = m;
			cap = cap ? 2 * cap : 256;
		}
		memset(&fx[k], 0, sizeof(fx[k]));
		if (!fgets(line, sizeof(line), tsv) || tsv_row(line, k, &fx[k]) ||
		    h->caplen != fx[k].len || h->caplen > sizeof(fx[k].frame)) {
			err = -EPROTO;
			break;
		}
		memcpy(fx[k].frame, data, h->caplen);
		k++;
	}
	if (!err && fgets(line, sizeof(line), tsv))
		err = -EPROTO;		/* rows left without frames */
	pcap_close(pc);
	fclose(tsv);
	if (err || !k) {
		free(fx);
		return err ? err : -ENODATA;
	}
	*out = fx;
	*n = k;
	return 0;
}
